#!/usr/bin/env python3
"""Write the sample district schedules (schedules/districts/<code>.yaml), one per district.

Each district's stations relay the district radio's 17:00 program, Monday to Saturday,
during the 2021 distancing. Re-run after changing the template; the files are committed
and may then be edited by hand like any schedule.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "schedules" / "registry" / "units.yaml"
OUT = ROOT / "schedules" / "districts"

TEMPLATE = """\
# {name}: programs of the district radio for its {count} commune-level stations.
district: "{code}"
programs:
  chuong-trinh-{code}:
    title: Chương trình phát thanh của {name}
    when:
      days: [monday, tuesday, wednesday, thursday, friday, saturday]
      at: "17:00"
    from: 2021-07-24
    until: 2021-09-20
    except: [holidays]
    segments:
      - chime: start
      - say: >-
          Đây là chương trình phát thanh của {short}. UBND {lower} đề nghị nhân dân
          thực hiện nghiêm Chỉ thị 17/CT-UBND, không tụ tập quá 2 người nơi công cộng,
          giữ khoảng cách tối thiểu 2 m. Mọi trường hợp F0, F1 cần báo ngay cho trạm y tế.
      - relay: http://relay.local:8000/district-{code}
        for: 28m
      - chime: end
    max_duration: 30m
"""

EMERGENCY = """
  khan-cap-{code}-phong-toa:
    title: Thông báo khẩn về phong tỏa tạm thời
    priority: emergency
    targets:
      stations: [{stations}]
    when:
      once: "2021-08-05 17:10"
    segments:
      - chime: alert
      - say: >-
          Thông báo khẩn của BCĐ phòng, chống dịch {lower}: từ 18h ngày 5/8/2021,
          phong tỏa tạm thời khu dân cư số 2 do phát hiện 3 ca F0. Người dân trong khu vực
          ở yên tại chỗ, gọi Tổng đài 1022 khi cần hỗ trợ.
      - chime: alert
"""


def main() -> int:
    data = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    OUT.mkdir(parents=True, exist_ok=True)
    for code, district in sorted(data["districts"].items()):
        stations = [u["code"] for u in data["units"] if u["district"] == code]
        name = district["name"]
        short = name
        text = TEMPLATE.format(code=code, name=name, short=short, lower=name.lower(),
                               count=len(stations))
        if code == "009":  # Thanh Xuân: an emergency cuts into the district program
            text += EMERGENCY.format(code=code, lower=name.lower(),
                                     stations=", ".join(f'"{s}"' for s in stations[:2]))
        (OUT / f"{code}.yaml").write_text(text, encoding="utf-8")
    print(f"wrote {len(data['districts'])} district files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
