"""Realistic 12345 tickets for the simulator: the problems residents of an old neighbourhood
phone the hotline about, with a citizen, an address and a deadline set by request type and
urgency. The same seed gives the same tickets."""

import random
from collections.abc import Container
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))

# (category, request type, urgency weights 一般/紧急/特急, what the citizen said)
PROBLEMS = [
    ("噪声扰民", "投诉", (80, 18, 2),
     "来电人反映有单位在距离其位于{place}的自建房约3米处安装空调外机，外机噪音大且热风直吹住户窗户，影响正常生活，"
     "希望相关部门核实并将空调外机移至别处。"),
    ("下水道堵塞", "求助", (75, 22, 3),
     "{place}{building}{unit}的下水道堵塞，污水从一楼地漏反冒，气味很大，请尽快疏通。"),
    ("路灯故障", "求助", (90, 10, 0),
     "{road}{place}门口路段有{count}盏路灯不亮已有一周，夜间出行不安全，请尽快维修。"),
    ("电梯故障", "投诉", (50, 40, 10),
     "{place}{building}{unit}电梯经常停运，今天上午有老人被困电梯约20分钟，请督促物业尽快维修。"),
    ("违章建筑", "举报", (95, 5, 0),
     "{place}{building}楼顶有住户私自搭建彩钢板房，存在安全隐患，要求相关部门查处。"),
    ("违规停车", "投诉", (90, 10, 0),
     "{place}小区门口长期有车辆乱停乱放，堵塞消防通道，车辆进出困难，希望加强管理。"),
    ("垃圾清运", "投诉", (90, 10, 0),
     "{place}{building}旁的垃圾桶已满{count}天无人清运，气味难闻、蚊蝇滋生，请尽快清理。"),
    ("管道漏水", "求助", (80, 18, 2),
     "{place}{building}{unit}{floor}楼住户家水管漏水，渗到楼下住户家天花板，两户因赔偿协商不成，请社区协调。"),
    ("流浪犬", "求助", (85, 15, 0),
     "{place}附近有{count}只流浪狗聚集，夜间吠叫，还追咬过路的小孩，请相关部门处理。"),
    ("占道经营", "投诉", (95, 5, 0),
     "{road}{place}路口有流动摊贩占道经营，油烟大，影响行人和车辆通行。"),
    ("绿化养护", "建议", (100, 0, 0),
     "{place}小区绿化带杂草丛生，树枝遮挡{building}二楼住户窗户，建议安排修剪。"),
    ("政策咨询", "咨询", (100, 0, 0),
     "来电人咨询{place}老旧小区加装电梯的补贴政策和申请流程。"),
    ("物业服务", "投诉", (95, 5, 0),
     "{place}物业收费后不履行保洁服务，{building}楼道长期无人打扫。"),
    ("停水", "求助", (40, 45, 15),
     "{place}{building}从昨晚起停水，没有接到任何通知，家中有老人，请尽快恢复供水。"),
    ("交通设施", "建议", (100, 0, 0),
     "建议在{road}{place}门口路口增设环岛或减速带，缓解早晚高峰车辆拥堵。"),
    ("公共设施", "建议", (100, 0, 0),
     "{place}没有晾晒的地方，居民希望在小区空地增设晾衣架，方便晾晒被褥。"),
    ("消防安全", "举报", (60, 35, 5),
     "{place}{building}{unit}楼道内堆放大量杂物，还有人拉线给电动车充电，存在火灾隐患。"),
]
PLACES = ["金昌花园", "名都凯旋城", "嘉园新村", "红花坡小区", "新河巷4号", "桂花苑", "劳动东路宿舍"]
ROADS = ["红花坡路", "劳动东路", "曙光南路", "新河巷"]
SURNAMES = "张王李赵刘陈杨黄周吴孙徐朱胡郭何高林罗郑康苏曾"
URGENCIES = ("一般", "紧急", "特急")
WORKING_DAYS = {"咨询": 3, "求助": 3, "投诉": 5, "举报": 5, "建议": 10}


def generate(count: int, seed: int, area_code: str, prefix: str, received_at: datetime | None,
             taken: Container[str]) -> list[dict]:
    """`count` tickets received from `received_at` on, a few minutes apart, numbered
    `<prefix><yyyymmdd><nnnnn>` skipping the numbers in `taken`."""
    rng = random.Random(seed)
    moment = (received_at or datetime.now(CHINA) - timedelta(minutes=6 * count)).replace(second=0, microsecond=0)
    serials: dict[str, int] = {}
    tickets = []
    for _ in range(count):
        moment += timedelta(minutes=rng.randint(1, 11))
        tickets.append({"ticket_no": next_number(prefix, moment, serials, taken), **ticket(rng, moment, area_code)})
    return tickets


def next_number(prefix: str, moment: datetime, serials: dict[str, int], taken: Container[str]) -> str:
    day = f"{prefix}{moment.astimezone(CHINA):%Y%m%d}"
    while True:
        serials[day] = serials.get(day, 0) + 1
        number = f"{day}{serials[day]:05d}"
        if number not in taken:
            return number


def ticket(rng: random.Random, moment: datetime, area_code: str) -> dict:
    category, request_type, weights, said = rng.choice(PROBLEMS)
    urgency = rng.choices(URGENCIES, weights)[0]
    place, building = rng.choice(PLACES), f"{rng.randint(1, 12)}栋"
    content = said.format(place=place, road=rng.choice(ROADS), building=building,
                          unit=f"{rng.randint(1, 4)}单元", floor=rng.randint(2, 7), count=rng.randint(2, 6))
    return {
        "received_at": moment.isoformat(),
        "request_type": request_type,
        "urgency": urgency,
        "citizen_name": rng.choice(SURNAMES) + rng.choice(("先生", "女士")),
        "citizen_phone": f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}",
        "content": content,
        "address": f"雨花区左家塘街道{place}{building}",
        "category": category,
        "area_code": area_code,
        "deadline": deadline(moment, request_type, urgency).isoformat(),
    }


def deadline(received: datetime, request_type: str, urgency: str) -> datetime:
    """特急 within two hours, 紧急 by the next working day's close, else by working days per type."""
    if urgency == "特急":
        return received + timedelta(hours=2)
    days = 1 if urgency == "紧急" else WORKING_DAYS[request_type]
    return add_working_days(received, days).replace(hour=18, minute=0, second=0, microsecond=0)


def add_working_days(moment: datetime, days: int) -> datetime:
    """`days` Monday-to-Friday days after `moment`, the time of day kept (no public holidays)."""
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment
