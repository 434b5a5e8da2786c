"""The sample site: names, ID numbers, firms, teams and workers (deterministic for one seed).

Everything here is made up: ID numbers are valid under GB 11643 (region code, birth date, order
and check character), credit codes under GB 32100, bank cards pass Luhn; none belongs to anyone.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from models.ids import credit_code_check_char, resident_id_check_char

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
MALE_GIVEN = (
    "伟",
    "强",
    "磊",
    "军",
    "勇",
    "杰",
    "涛",
    "明",
    "超",
    "刚",
    "平",
    "辉",
    "鹏",
    "华",
    "飞",
    "鑫",
    "波",
    "斌",
    "宇",
    "浩",
    "凯",
    "健",
    "俊",
    "帆",
    "建国",
    "建华",
    "国强",
    "志强",
    "志明",
    "海涛",
    "春生",
    "德华",
    "永刚",
    "红军",
    "文斌",
    "长江",
    "金龙",
    "保国",
    "宏伟",
    "振华",
    "家豪",
    "立新",
    "光明",
    "树林",
    "玉林",
    "德胜",
    "有才",
    "福贵",
    "庆丰",
    "大海",
)
FEMALE_GIVEN = (
    "芳",
    "娟",
    "敏",
    "静",
    "丽",
    "艳",
    "霞",
    "秀英",
    "桂英",
    "玉兰",
    "秀兰",
    "春梅",
    "红梅",
    "丽华",
    "淑珍",
    "金凤",
    "翠花",
    "海燕",
    "小红",
    "晓燕",
)
# (region code, province) — home provinces common among construction workers.
REGIONS = (
    ("510122", "四川省成都市双流区"),
    ("511321", "四川省南充市南部县"),
    ("412723", "河南省周口市商水县"),
    ("411522", "河南省信阳市光山县"),
    ("342622", "安徽省巢湖市庐江县"),
    ("341221", "安徽省阜阳市临泉县"),
    ("430524", "湖南省邵阳市隆回县"),
    ("522121", "贵州省遵义市播州区"),
    ("362329", "江西省上饶市余干县"),
    ("421182", "湖北省黄冈市武穴市"),
    ("370826", "山东省济宁市微山县"),
    ("500233", "重庆市忠县"),
)
BANKS = (
    ("622202", "中国工商银行"),
    ("622700", "中国建设银行"),
    ("622848", "中国农业银行"),
    ("621661", "中国银行"),
    ("621799", "中国邮政储蓄银行"),
)

GC_NAME = "中建示范工程局有限公司"
PROJECT_NAME = "滨江新城安置房二期工程(演示)"


@dataclass(frozen=True, slots=True)
class TeamSpec:
    firm: int  # index into FIRMS
    name: str
    trade: str
    rate_fen: int  # daily rate
    share: float  # share of the workers
    night: bool = False


# (name, role) — one general contractor, two subcontractors.
FIRMS = (
    (GC_NAME, "general_contractor"),
    ("四川蜀安建筑劳务有限公司", "subcontractor"),
    ("江苏华电机电安装有限公司", "subcontractor"),
)
TEAMS = (
    TeamSpec(0, "总包直营班", "普工", 28000, 0.06),
    TeamSpec(1, "钢筋一班", "钢筋工", 38000, 0.22),
    TeamSpec(1, "木工班", "木工", 40000, 0.20),
    TeamSpec(1, "砌筑班", "瓦工", 36000, 0.14),
    TeamSpec(1, "夜班混凝土班", "混凝土工", 35000, 0.12, night=True),
    TeamSpec(2, "水电安装班", "管道工", 42000, 0.14),
    TeamSpec(2, "电焊班", "电焊工", 45000, 0.12),
)


@dataclass
class WorkerSpec:
    key: int
    name: str
    id_number: str
    male: bool
    team: int  # index into TEAMS
    bank_card: str
    bank_name: str
    phone: str
    address: str
    card_uid: str | None  # IC card bound at the gate (None: uses the ID card + face)
    photo_person: str | None = None  # folder under testdata/faces, for the face workers
    leader: bool = False
    worker_id: int = 0
    assignment_id: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:  # these digits are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


class IdFactory:
    """Unique, valid resident ID numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, birth: dt.date, male: bool, region: str | None = None) -> str:
        region = region or self.rng.choice(REGIONS)[0]
        while True:
            order = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            first17 = f"{region}{birth:%Y%m%d}{order:03d}"
            number = first17 + resident_id_check_char(first17)
            if number not in self.used:
                self.used.add(number)
                return number


def credit_code(n: int, region: str = "510100") -> str:
    first17 = f"91{region}{n:09d}"
    return first17 + credit_code_check_char(first17)


def make_name(rng: random.Random, male: bool, used: set[str]) -> str:
    for _ in range(50):
        given = rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)
        name = rng.choice(SURNAMES) + given
        if name not in used:
            used.add(name)
            return name
    return name


def birth_date(rng: random.Random, male: bool, on: dt.date) -> dt.date:
    """18..58 for men, 18..48 for women on `on` (inside the project's age policy)."""
    oldest = 58 if male else 48
    age = rng.randint(20, oldest)
    return on - dt.timedelta(days=age * 365 + rng.randint(30, 330))


def make_workers(
    n: int, *, photo_people: list[str], month_start: dt.date, seed: int = 7
) -> list[WorkerSpec]:
    """`n` workers spread over TEAMS; the first len(photo_people) day-shift workers get faces."""
    rng = random.Random(seed)
    ids = IdFactory(rng)
    names: set[str] = set()
    counts = [max(2, round(n * t.share)) for t in TEAMS]
    while sum(counts) > n:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < n:
        counts[counts.index(min(counts))] += 1
    out: list[WorkerSpec] = []
    photos = list(photo_people)
    for team_index, count in enumerate(counts):
        for i in range(count):
            male = rng.random() > 0.12
            region, province = rng.choice(REGIONS)
            prefix, bank = rng.choice(BANKS)
            key = len(out)
            photo = None
            if photos and not TEAMS[team_index].night and team_index != 0 and i > 0:
                photo = photos.pop(0)
            out.append(
                WorkerSpec(
                    key=key,
                    name=make_name(rng, male, names),
                    id_number=ids.make(birth_date(rng, male, month_start), male, region),
                    male=male,
                    team=team_index,
                    bank_card=luhn_complete(prefix, 19, rng),
                    bank_name=bank,
                    phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                    address=f"{province}{rng.choice('东南西北')}村{rng.randint(1, 30)}组",
                    card_uid=None if photo else f"{0xA0000000 + key * 7919 + 1:08X}",
                    photo_person=photo,
                    leader=i == 0,
                )
            )
    return out


def ghost_person(seed: int = 7) -> tuple[str, str]:
    """A name and a valid ID number that are on no roster (the payroll's ghost worker)."""
    rng = random.Random(seed + 1000)
    ids = IdFactory(rng)
    return "钱多多", ids.make(dt.date(1990, 5, 17), True, "320102")


def stranger_id(seed: int = 7) -> tuple[str, str]:
    """A real-looking ID card of someone not on this project (refused: not on the roster)."""
    rng = random.Random(seed + 2000)
    return "路人甲", IdFactory(rng).make(dt.date(1984, 2, 9), True, "110105")
