"""Frame sources: USB and RTSP cameras through OpenCV, and files/folders as the tests' camera.

- `opencv_source`: `OpenCvFrameSource` over a USB index, an `rtsp://` / `http://` URL (FFmpeg,
  TCP, open/read timeouts), a video file or an image folder; newest frame only, reconnect with
  backoff.
- `file_source`: `ImageFolderCapture` / `FileFrameSource`, the replay of testdata photos.
- `emulator`: `MjpegCameraEmulator`, frames as an MJPEG stream over HTTP on loopback.
- `rtsp_emulator` + `rtp_jpeg`: `RtspCameraEmulator`, frames as an IP camera serves them:
  RTSP 1.0 with RTP/JPEG (RFC 2435) interleaved on the RTSP TCP connection, so tests open a real
  `rtsp://127.0.0.1:PORT/Streaming/Channels/101` through FFmpeg.

What the RTSP emulator proves: URL handling and credentials (Basic auth, 401 on a missing or wrong
password), the RTSP handshake FFmpeg performs, TCP transport (a UDP-only SETUP is refused with 461,
so clients fall back), decoding of real frames, and the grabber's reconnect when the camera drops
clients or reboots on the same port. What it does not: H.264/H.265 (real cameras' codecs; the
FFmpeg decode path for them is not exercised), RTP over UDP or multicast, Digest auth (the
Hikvision/Dahua default; FFmpeg answers Digest itself), RTCP, PAUSE/seek, ONVIF, and network loss
or jitter beyond cutting connections. Frames are cropped to whole 8-pixel units and scaled down to
at most 2040 pixels, as RFC 2435 sizes require.
"""
