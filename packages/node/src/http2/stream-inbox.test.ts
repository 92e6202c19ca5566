import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type InboxReader, StreamInbox } from "./stream-inbox.js";

/** A reader that records what it is given and stops reading after `budget` chunks. */
class Reader implements InboxReader<string> {
  readonly events: string[] = [];
  budget = Number.POSITIVE_INFINITY;

  get reading(): boolean {
    return this.budget > 0;
  }

  readData(chunk: Uint8Array): void {
    this.budget--;
    this.events.push(`data ${chunk.length}`);
  }

  readEnd(end: string): void {
    this.events.push(`end ${end}`);
  }

  readClose(): void {
    this.events.push("close");
  }
}

describe("StreamInbox", () => {
  it("replays data, then the end, then a held close, in order", () => {
    const inbox = new StreamInbox<string>();
    inbox.holdData(new Uint8Array(1));
    inbox.holdData(new Uint8Array(2));
    inbox.holdEnd("trailers");
    inbox.holdClose();
    const r = new Reader();
    assert.equal(inbox.replay(r), true);
    assert.deepEqual(r.events, ["data 1", "data 2", "end trailers", "close"]);
  });

  it("stops when the reader stops reading, and goes on from there", () => {
    const inbox = new StreamInbox<string>();
    inbox.holdData(new Uint8Array(1));
    inbox.holdData(new Uint8Array(2));
    inbox.holdEnd("end");
    const r = new Reader();
    r.budget = 1;
    assert.equal(inbox.replay(r), false);
    assert.deepEqual(r.events, ["data 1"]);
    r.budget = 1;
    assert.equal(inbox.replay(r), false); // the end waits while the reader does not read
    assert.deepEqual(r.events, ["data 1", "data 2"]);
    r.budget = 1;
    assert.equal(inbox.replay(r), true);
    assert.deepEqual(r.events, ["data 1", "data 2", "end end"]);
  });

  it("drops what is held, giving the octets of its data", () => {
    const inbox = new StreamInbox<string>();
    inbox.holdData(new Uint8Array(3));
    inbox.holdData(new Uint8Array(4));
    inbox.holdEnd("end");
    inbox.holdClose();
    assert.equal(inbox.drop(), 7);
    assert.equal(inbox.closeHeld, false);
    const r = new Reader();
    assert.equal(inbox.replay(r), true);
    assert.deepEqual(r.events, []);
  });
});
