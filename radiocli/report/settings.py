"""Who issues a report and who signs it: the ``report:`` block an office writes once in
its home's ``config.yaml`` (docs/reports.md has an example).

    report:
      parent_body: Ủy ban nhân dân huyện Đông Anh
      issuing_body: Phòng Văn hóa và Thông tin
      symbol: VHTT
      place: Đông Anh
      signer: Nguyễn Văn An
      signer_title: Trưởng phòng
      recipients: [Sở Thông tin và Truyền thông (để báo cáo), UBND huyện (để báo cáo), Lưu VT]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from radiocli.errors import RadioError
from radiocli.i18n import _

DOTS = "…………"


@dataclass(frozen=True)
class OfficeSettings:
    parent_body: str = ""  # cơ quan, tổ chức chủ quản (above the issuing body)
    issuing_body: str = ""  # cơ quan, tổ chức ban hành văn bản
    symbol: str = ""  # its abbreviation, in the document's symbol: Số: 12/BC-VHTT
    number: str = ""  # the document's number (often written by hand: left blank)
    place: str = "Hà Nội"  # địa danh, in the date line
    signer: str = ""
    signer_title: str = ""  # chức vụ: Trưởng phòng, Chủ tịch
    authority: str = ""  # thẩm quyền ký: TM. Ủy ban nhân dân, KT. Chủ tịch
    recipients: tuple[str, ...] = ()
    configured: bool = False  # False: nothing was set, the document shows blanks to fill

    @classmethod
    def from_config(cls, config: Mapping[str, Any], source: str = "config.yaml"
                    ) -> OfficeSettings:
        block = config.get("report")
        if block is None:
            return cls()
        if not isinstance(block, Mapping):
            raise RadioError(_("{file}: 'report:' must be a mapping of keys such as "
                               "issuing_body, signer, place (see docs/reports.md)").format(
                file=source))
        known = {f.name for f in fields(cls)} - {"configured"}
        values: dict[str, Any] = {}
        for key, value in block.items():
            if key not in known:
                raise RadioError(_("{file}: report: unknown key {key!r}; known keys: {keys}").format(
                    file=source, key=key, keys=", ".join(sorted(known))))
            if key == "recipients":
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise RadioError(_("{file}: report: recipients must be a list of "
                                       "names").format(file=source))
                values[key] = tuple(v.strip() for v in value if v.strip())
                continue
            if value is None:
                value = ""
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise RadioError(_("{file}: report: {key} must be text, got {value!r}").format(
                    file=source, key=key, value=value))
            values[key] = str(value).strip()
        return cls(**values, configured=True)

    def with_number(self, number: str | None) -> OfficeSettings:
        if not number:
            return self
        from dataclasses import replace

        return replace(self, number=number)

    def number_line(self, kind: str = "BC") -> str:
        """'Số: 12/BC-VHTT', with room to write by hand when the number is not set."""
        number = self.number or "      "
        symbol = f"{kind}-{self.symbol}" if self.symbol else kind
        return f"Số: {number}/{symbol}"
