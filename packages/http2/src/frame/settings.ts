/** SETTINGS parameters (RFC 9113 §6.5.2): identifiers, initial values, and the rules on values. */
import { ErrorCode, Http2Error } from "../errors.js";
import { MAX_MAX_FRAME_SIZE, MAX_WINDOW_SIZE, MIN_MAX_FRAME_SIZE } from "./frame-types.js";

export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;
export type SettingId = (typeof SettingId)[keyof typeof SettingId];

/** The values in force before any SETTINGS frame (§6.5.2); "unlimited" is `Infinity`. */
export interface Settings {
  headerTableSize: number;
  enablePush: boolean;
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxFrameSize: number;
  maxHeaderListSize: number;
}

export function initialSettings(): Settings {
  return {
    headerTableSize: 4096,
    enablePush: true,
    maxConcurrentStreams: Number.POSITIVE_INFINITY,
    initialWindowSize: 65535,
    maxFrameSize: MIN_MAX_FRAME_SIZE,
    maxHeaderListSize: Number.POSITIVE_INFINITY,
  };
}

/**
 * Checks one received parameter (§6.5.2) and throws the connection error the RFC names.
 * `receiverIsClient`: a client must also refuse ENABLE_PUSH = 1 (a server may not push-enable).
 * Unknown identifiers are accepted (and then ignored).
 */
export function validateSetting(id: number, value: number, receiverIsClient: boolean): void {
  switch (id) {
    case SettingId.ENABLE_PUSH:
      if (value > 1) throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH of ${value}`);
      if (value === 1 && receiverIsClient) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, "a server sent SETTINGS_ENABLE_PUSH = 1");
      }
      return;
    case SettingId.INITIAL_WINDOW_SIZE:
      if (value > MAX_WINDOW_SIZE) {
        throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE of ${value}`);
      }
      return;
    case SettingId.MAX_FRAME_SIZE:
      if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE of ${value}`);
      }
      return;
  }
}

/** Applies one (already validated) parameter; unknown identifiers are ignored (§6.5.2). */
export function applySetting(settings: Settings, id: number, value: number): void {
  switch (id) {
    case SettingId.HEADER_TABLE_SIZE:
      settings.headerTableSize = value;
      return;
    case SettingId.ENABLE_PUSH:
      settings.enablePush = value === 1;
      return;
    case SettingId.MAX_CONCURRENT_STREAMS:
      settings.maxConcurrentStreams = value;
      return;
    case SettingId.INITIAL_WINDOW_SIZE:
      settings.initialWindowSize = value;
      return;
    case SettingId.MAX_FRAME_SIZE:
      settings.maxFrameSize = value;
      return;
    case SettingId.MAX_HEADER_LIST_SIZE:
      settings.maxHeaderListSize = value;
      return;
  }
}
