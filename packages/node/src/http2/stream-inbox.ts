/**
 * The events of a stream whose reader is not taking them (paused, or on the server not yet
 * listening), held in order (its data, then its end: the server's end of the request, the
 * client's trailers, then its close) and replayed in that order once it reads again, for both
 * sides of our engine. Made only when something must be held: a stream whose reader keeps up
 * never has one.
 *
 * Whether a close waits behind held events is each side's (see `holdClose`): the client's held
 * data is the response, which its reader still wants; on the server a closed stream has sent all
 * it will, and the rest of the request is dropped (`drop`), its octets returned to the window.
 */

/** The stream the events are for. */
export interface InboxReader<E> {
  /** The reader takes events now. */
  readonly reading: boolean;
  readData(chunk: Uint8Array): void;
  readEnd(end: E): void;
  readClose(): void;
}

/** A stream with its inbox, made when the first event must be held. */
export interface InboxStream<E> extends InboxReader<E> {
  inbox: StreamInbox<E> | undefined;
}

export class StreamInbox<E> {
  private readonly chunks: Uint8Array[] = [];
  private endHeld = false;
  private end: E | undefined = undefined;
  /** The close waits behind the held events. */
  closeHeld = false;

  holdData(chunk: Uint8Array): void {
    this.chunks.push(chunk);
  }

  holdEnd(end: E): void {
    this.endHeld = true;
    this.end = end;
  }

  /** The close is told after the held events, on replay. */
  holdClose(): void {
    this.closeHeld = true;
  }

  /**
   * Gives `reader` the held events in order while it reads; true once all were given (the inbox
   * is then done with), false when it stopped reading first.
   */
  replay(reader: InboxReader<E>): boolean {
    const chunks = this.chunks;
    // bounded: each pass takes one chunk, and a pause (or a close) stops it
    while (chunks.length > 0 && reader.reading) reader.readData(chunks.shift()!);
    if (chunks.length > 0 || !reader.reading) return false;
    if (this.endHeld) {
      this.endHeld = false;
      const end = this.end as E;
      this.end = undefined;
      reader.readEnd(end);
    }
    if (this.closeHeld) {
      this.closeHeld = false;
      reader.readClose();
    }
    return true;
  }

  /** Drops what is held (nobody will read it): the octets of its data, to return to the window. */
  drop(): number {
    let n = 0;
    for (const c of this.chunks) n += c.length;
    this.chunks.length = 0;
    this.endHeld = false;
    this.end = undefined;
    this.closeHeld = false;
    return n;
  }
}

/** Data from the connection: to the reader now, or held (also behind what is held already). */
export function takeData<E>(s: InboxStream<E>, chunk: Uint8Array): void {
  if (s.inbox === undefined && s.reading) s.readData(chunk);
  else inboxOf(s).holdData(chunk);
}

/** The stream's end (the request's end, the response's trailers), the same way. */
export function takeEnd<E>(s: InboxStream<E>, end: E): void {
  if (s.inbox === undefined && s.reading) s.readEnd(end);
  else inboxOf(s).holdEnd(end);
}

/** The reader reads again: what is held is replayed, while it reads. */
export function replayHeld<E>(s: InboxStream<E>): void {
  if (s.inbox?.replay(s) === true) s.inbox = undefined;
}

/** Drops what is held: the octets of its data, for the caller to return to the window. */
export function dropHeld<E>(s: InboxStream<E>): number {
  const inbox = s.inbox;
  if (inbox === undefined) return 0;
  s.inbox = undefined;
  return inbox.drop();
}

function inboxOf<E>(s: InboxStream<E>): StreamInbox<E> {
  s.inbox ??= new StreamInbox();
  return s.inbox;
}
