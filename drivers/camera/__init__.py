"""Frame sources: USB and RTSP cameras through OpenCV, and files/folders as the tests' camera."""
