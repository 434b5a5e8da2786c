"""Off-the-shelf face terminals used as gates: their HTTP protocols, clients and emulators.

ZKTeco PUSH (ADMS / "iclock") and Hikvision ISAPI. Like drivers/, this package speaks the devices'
own wire formats and knows nothing of workers, projects or the server; unlike drivers/, those
formats are HTTP. The server-side adapter that turns them into gate records lives in server/.
"""
