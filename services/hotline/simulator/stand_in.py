"""The simulator as the dev stack's stand-in for the city's 12345 platform: how to start it (its
state kept in the stack's data directory, so the hotline service's stored cursor stays valid
across restarts) and the demo tickets it starts with (`--seed-demo`), from the seed articles."""

import sys

DEFAULT_PORT = 8041  # services/hotline/config.yml's HOTLINE_JSON_URL default
STATE_FILE_NAME = "hotline-simulator.json"

DEMO_TICKETS = [
    {"ticket_no": "JY2026120100001", "received_at": "2026-12-01T09:12:00+08:00", "request_type": "投诉",
     "urgency": "一般", "citizen_name": "王先生", "citizen_phone": "13812345678",
     "content": "隔壁商铺空调外机距住宅仅3米，噪音大、热风直吹，夜间无法入睡",
     "address": "雨花区左家塘街道嘉园社区金昌花园2栋", "category": "噪声扰民", "area_code": "JY",
     "deadline": "2026-12-08T18:00:00+08:00"},
    {"ticket_no": "JY2026120100002", "received_at": "2026-12-01T09:40:00+08:00", "request_type": "求助",
     "urgency": "紧急", "citizen_name": "李女士", "citizen_phone": "13974120356",
     "content": "金昌花园3栋1单元下水道堵塞，污水从一楼地漏反冒，气味很大，家中有老人，请尽快疏通。",
     "address": "雨花区左家塘街道嘉园社区金昌花园3栋1单元", "category": "下水道堵塞", "area_code": "JY",
     "deadline": "2026-12-02T18:00:00+08:00"},
    {"ticket_no": "JY2026120100003", "received_at": "2026-12-01T10:25:00+08:00", "request_type": "举报",
     "urgency": "一般", "citizen_name": "陈先生", "citizen_phone": "13607318842",
     "content": "名都凯旋城1栋2单元楼道内堆放大量杂物，还有人拉线给电动车充电，存在火灾隐患。",
     "address": "雨花区左家塘街道嘉园社区名都凯旋城1栋", "category": "消防安全", "area_code": "JY",
     "deadline": "2026-12-08T18:00:00+08:00"},
    {"ticket_no": "LF2026120100001", "received_at": "2026-12-01T11:05:00+08:00", "request_type": "求助",
     "urgency": "一般", "citizen_name": "刘女士", "citizen_phone": "13907351276",
     "content": "华尔星城二期8栋2单元楼道灯不亮已有一周，晚上老人上下楼看不清台阶，请尽快维修。",
     "address": "北湖区北湖街道联福社区华尔星城二期8栋", "category": "公共设施", "area_code": "LF",
     "deadline": "2026-12-04T18:00:00+08:00"},
]


def stand_in(port: int, data_dir: str) -> dict:
    """The command that starts the simulator on `port` with its state in `data_dir`, and the
    environment that points the hotline service at it."""
    return {"command": [sys.executable, "-m", "services.hotline.simulator", "--port", str(port),
                        "--state-file", f"{data_dir}/{STATE_FILE_NAME}", "--seed-demo"],
            "environment": {"HOTLINE_JSON_URL": f"http://127.0.0.1:{port}/api"}}
