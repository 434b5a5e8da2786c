"""Page texts of the daily digests on the inspector's month page (issue 13), merged into
server/web/i18n.MESSAGES: kept in their own file so that they can be read (and merged) as one
part."""

from __future__ import annotations

DIGEST_MESSAGES: dict[str, tuple[str, str]] = {
    "digest.title": ("每日摘要", "Daily digests"),
    "digest.help": (
        "每天结束后,服务器把前一天各闸机自己签名的检查点(闸机对当天记录算出的默克尔树根)"
        "汇总成一份每日摘要,用服务器的密钥签名,并接上前一天摘要的哈希。请监管部门定期下载"
        "存档:存档在服务器之外,日后若有人改动或删除闸机记录,按库中记录重算的树根就与您存档的"
        "摘要对不上;已发出的摘要,服务器也无法悄悄改写。核对文件时,请把其中的密钥指纹与本页"
        "显示的指纹比对。",
        "After each day the server gathers that day's checkpoints (each gate's own signed seal: "
        "Merkle roots over its records) into a daily digest, signs it with the server's key and "
        "chains it to the previous day's. Download and archive them regularly: with a copy kept "
        "outside the server, gate records altered or deleted later no longer add up to the roots "
        "in your archived digest, and a digest already handed out cannot be quietly rewritten by "
        "the server. When checking a file, compare its key fingerprint with the one shown here.",
    ),
    "digest.server_key": ("服务器密钥指纹", "Server key fingerprint"),
    "digest.day": ("日期", "Day"),
    "digest.checkpoints": ("检查点", "Checkpoints"),
    "digest.sha256": ("摘要哈希", "Digest hash"),
    "digest.download": ("下载", "Download"),
    "digest.none": (
        "尚无每日摘要:闸机的第一个检查点送达后的第二天起签发。",
        "No daily digest yet: they are issued from the day after the gates' first checkpoint.",
    ),
    "digest.latest": ("最近 {n} 份", "The latest {n}"),
}
