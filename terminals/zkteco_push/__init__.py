"""ZKTeco PUSH protocol (ADMS / "iclock"): the text codec and a terminal emulator.

A ZKTeco face terminal in PUSH mode is an HTTP *client*: it registers with
`GET /iclock/cdata?SN=..&options=all`, uploads attendance with `POST /iclock/cdata?table=ATTLOG`,
polls `GET /iclock/getrequest` for commands and reports their results with
`POST /iclock/devicecmd`. `protocol` holds the pure codec for every one of those bodies (the
server-side adapter in server/ builds on it); `emulator` is a terminal speaking it over httpx.

Sources: ZKTeco "考勤PUSH通讯协议" (Attendance PUSH Communication Protocol, push protocol 2.4.x,
doc V5.x, the Chinese edition, read through public transcriptions) and the English "Attendance
PUSH Communication Protocol" (2024). Where public server implementations disagree with the
document, the document wins and the module docstrings say so.
"""
