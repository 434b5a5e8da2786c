"""Hikvision access-control face terminals (DS-K1T...) over ISAPI: protocol, client, emulator.

- `protocol` (pure; gathers `events`, `codes`, `records`, `search`, `device_xml`, `multipart`):
  the pushed event (`parse_event_multipart`), event codes and their pass/refused outcome, person,
  card and face sync bodies, AcsEvent/UserInfo paging, deviceInfo and httpHosts XML.
- `client.IsapiClient`: Digest-authenticated calls a gate server makes to a terminal.
- `emulator.IsapiTerminalEmulator`: a terminal on loopback with fault knobs, for tests and demos
  (`device.DeviceState` holds its memory, `digest.DigestVerifier` checks passwords).

Knows nothing of workers or the server; the adapter that turns events into gate records lives in
server/.
"""
