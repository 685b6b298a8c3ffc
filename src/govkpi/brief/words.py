"""The brief's words in Vietnamese and English, and numbers and dates written as each language writes them.

A brief is a document produced for a language chosen when it is made (not the request's language), so its
words are a table here rather than the interface's message catalogue; the page that offers briefs translates
through gettext like every page.
"""

from __future__ import annotations

import datetime

LANGS = ("vi", "en")

WORDS: dict[str, tuple[str, str]] = {
    "title": ("BÁO CÁO GIAO BAN", "MEETING BRIEF"),
    "subtitle": ("Tình hình thực hiện chỉ tiêu, nhiệm vụ {period}", "Progress on indicators and tasks, {period}"),
    "republic": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIET NAM"),
    "motto": ("Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness"),
    "issuer_top": ("HỆ THỐNG ĐÁNH GIÁ KPI", "KPI MONITORING SYSTEM"),
    "place_date": ("Hà Nội, ngày {d:02d} tháng {m:02d} năm {y}", "Ha Noi, {date}"),
    "scope": ("Phạm vi", "Scope"),
    "national": ("Toàn quốc", "National"),
    "as_of": ("Số liệu tính đến", "Data as of"),
    "produced": ("Lập lúc", "Produced at"),
    "official_month": ("Số liệu chính thức", "Official figures"),
    "provisional_month": ("Kỳ {period} chưa có số liệu chính thức: các số liệu tạm tính được ghi rõ",
                          "{period} is not official yet: provisional figures are marked as such"),
    "demo_notice": ("Có số liệu minh họa (tổng hợp, không phải số liệu thật), được đánh dấu «minh họa».",
                    "Contains demonstration (synthetic) figures, marked «demo»."),
    "demo": ("minh họa", "demo"),
    "provisional": ("tạm tính", "provisional"),
    "none": ("Không có.", "None."),
    "notes": ("Ghi chú về số liệu", "Notes on the data"),
    "contents": ("Các trang tính (số dòng)", "Sheets (rows)"),
    "s1": ("Chỉ tiêu chủ yếu so với mục tiêu", "Headline indicators against targets"),
    "s2": ("Đơn vị chậm tiến độ", "Units behind"),
    "s3": ("Nhiệm vụ quá hạn và sắp đến hạn", "Overdue and soon-due tasks"),
    "s4": ("Thay đổi xếp hạng và nguyên nhân", "Ranking changes and their reasons"),
    "standing": ("{unit}: điểm {score}, xếp hạng {rank}/{size}{change}.", "{unit}: score {score}, rank {rank} of {size}{change}."),
    "standing_up": (" (tăng {n} bậc so với tháng trước)", " (up {n} since the month before)"),
    "standing_down": (" (giảm {n} bậc so với tháng trước)", " (down {n} since the month before)"),
    "s5": ("Chất lượng số liệu", "Data quality"),
    "s6": ("Đề xuất biểu dương, nhắc nhở", "Units to commend and to call out"),
    "s6a": ("Đơn vị đề nghị biểu dương", "Units to commend"),
    "s6b": ("Đơn vị cần nhắc nhở, chấn chỉnh", "Units to call out"),
    "s7": ("Vướng mắc, kiến nghị", "Problems raised from below"),
    # column headings
    "code": ("Mã", "Code"), "indicator": ("Chỉ tiêu", "Indicator"), "period": ("Kỳ", "Period"),
    "uom": ("Đơn vị tính", "Unit"), "value": ("Giá trị", "Value"), "target": ("Mục tiêu", "Target"),
    "deadline": ("Thời hạn", "Deadline"), "achievement": ("Mức đạt (%)", "Achievement (%)"),
    "status": ("Đánh giá", "Status"), "forecast": ("Dự báo đến hạn", "Forecast at deadline"),
    "published": ("Số liệu Chính phủ công bố", "Government's published figure"),
    "provisional_value": ("Tạm tính", "Provisional"), "figures": ("Số liệu", "Figures"),
    "unit": ("Đơn vị", "Unit"), "kind": ("Cấp", "Level"), "off_track": ("Số chỉ tiêu chậm", "Indicators off track"),
    "judged": ("Số chỉ tiêu đánh giá", "Indicators judged"), "worst": ("Chỉ tiêu thấp nhất", "Weakest indicator"),
    "agency": ("Cơ quan chủ trì", "Lead agency"), "task": ("Nhiệm vụ", "Task"), "state": ("Tình trạng", "State"),
    "days": ("Số ngày", "Days"), "progress": ("Tiến độ (%)", "Progress (%)"),
    "overdue_count": ("Số nhiệm vụ quá hạn", "Tasks overdue"), "soon_count": ("Sắp đến hạn", "Due soon"),
    "longest_overdue": ("Quá hạn lâu nhất (ngày)", "Longest overdue (days)"),
    "group": ("Nhóm", "Peer group"), "rank": ("Hạng", "Rank"), "previous_rank": ("Hạng kỳ trước", "Previous rank"),
    "change": ("Thay đổi", "Change"), "score": ("Điểm", "Score"), "reason": ("Nguyên nhân", "Reason"),
    "evidence": ("Căn cứ", "Evidence"), "expected": ("Phải báo cáo", "Owed"), "received": ("Đã báo cáo", "Received"),
    "du": ("Đủ", "Complete"), "song": ("Sống (đúng hạn)", "Timely"), "sach": ("Sạch", "Clean"),
    "dung": ("Đúng (đã duyệt)", "Verified"), "quality": ("Điểm chất lượng", "Quality score"),
    "group_size": ("Số đơn vị", "Group size"), "demo_col": ("Minh họa", "Demo"),
    "source": ("Nguồn", "Source"),
    # values
    "overdue": ("Quá hạn", "Overdue"), "due_soon": ("Sắp đến hạn", "Due soon"),
    "overdue_days": ("quá hạn {n} ngày", "{n} days overdue"), "due_in": ("còn {n} ngày", "{n} days left"),
    "ministries": ("Bộ, cơ quan ngang bộ", "Ministries"), "provinces": ("Tỉnh, thành phố", "Provinces"),
    "communes": ("Xã, phường của {name}", "Communes of {name}"),
    "comp_indicators": ("Chỉ tiêu", "Indicators"), "comp_tasks": ("Nhiệm vụ", "Tasks"),
    "comp_quality": ("Chất lượng số liệu", "Data quality"),
    "moved": ("{component} {delta} điểm", "{component} {delta} points"),
    "no_previous": ("chưa có điểm kỳ trước", "no score the previous month"),
    "commend_reason": ("Xếp hạng {rank}/{size}, điểm {score}; mạnh nhất: {component} {part}",
                       "Ranked {rank} of {size}, score {score}; strongest: {component} {part}"),
    "call_out_reason": ("Xếp hạng {rank}/{size}, điểm {score}; yếu nhất: {component} {part}",
                        "Ranked {rank} of {size}, score {score}; weakest: {component} {part}"),
    "task_totals": ("{overdue} nhiệm vụ quá hạn, {soon} nhiệm vụ sắp đến hạn (trong {days} ngày) của {agencies} cơ quan",
                    "{overdue} tasks overdue, {soon} due within {days} days, at {agencies} agencies"),
    "listed_of": ("Liệt kê {shown}/{total}; bảng tính XLSX có đủ.", "{shown} of {total} listed; the XLSX has all."),
    "quality_summary": ("{units} đơn vị được đánh giá; điểm chất lượng bình quân {mean}; {short} đơn vị báo cáo chưa đủ",
                        "{units} units measured; mean quality score {mean}; {short} units have not reported all they owe"),
    "subset_provinces": ("tổng các tỉnh", "provinces' total"),
    "cited": ("Trích: {source}", "Cited: {source}"),
    "method": ("Phương pháp: {text}", "Method: {text}"),
    "page": ("Trang", "Page"),
    # section 7: problems raised from below
    "acting": ("Cơ quan phải xử lý", "Agency to act"), "raised_by": ("Đơn vị nêu", "Raised by"),
    "problem": ("Vướng mắc, kiến nghị", "Problem"), "raised_on": ("Ngày nêu", "Raised on"),
    "answer_due": ("Hạn trả lời", "Answer due"), "problem_kind": ("Loại", "Kind"),
    "vuong_mac": ("Vướng mắc", "Obstacle"), "kien_nghi": ("Kiến nghị", "Proposal"),
    "diem_nghen": ("Điểm nghẽn", "Bottleneck"),
    "problem_open": ("Chờ trả lời", "Awaiting an answer"), "problem_answered": ("Đã trả lời, chờ tháo gỡ",
                                                                              "Answered, not yet cleared"),
    "problem_totals": ("{n} vướng mắc, kiến nghị chưa xử lý xong: {open} chờ trả lời ({late} quá hạn trả lời), "
                       "{answered} đã trả lời chờ tháo gỡ; {agencies} cơ quan phải xử lý",
                       "{n} problems raised from below still pending: {open} awaiting an answer ({late} past the "
                       "answer day), {answered} answered and not yet cleared; {agencies} agencies to act"),
}

STATUS = {
    "achieved": ("Đã đạt", "Achieved"), "on_track": ("Đúng tiến độ", "On track"),
    "at_risk": ("Có nguy cơ chậm", "At risk"), "off_track": ("Chậm tiến độ", "Off track"),
    "no_data": ("Chưa có số liệu", "No data"), "no_target": ("Chưa có mục tiêu", "No target"),
}
KINDS = {"government": ("Chính phủ", "Government"), "ministry": ("Bộ, ngành", "Ministry"),
         "province": ("Tỉnh", "Province"), "commune": ("Xã", "Commune")}


def word(key: str, lang: str, **values: object) -> str:
    """The text of `key` in the language, with its {placeholders} filled."""
    text = WORDS[key][0 if lang == "vi" else 1]
    return text.format(**values) if values else text


def status_word(status: str, lang: str) -> str:
    pair = STATUS.get(status)
    return (pair[0] if lang == "vi" else pair[1]) if pair else status


def kind_word(kind: str, lang: str) -> str:
    pair = KINDS.get(kind)
    return (pair[0] if lang == "vi" else pair[1]) if pair else kind


def number(value: float | None, lang: str, decimals: int = 1) -> str:
    """A number as the language writes it: 1.234,5 in Vietnamese, 1,234.5 in English; "–" for none."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def signed(value: float | None, lang: str, decimals: int = 1) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + number(value, lang, decimals)


def day(value: datetime.date | None, lang: str) -> str:
    """A date as 31/12/2026 (Vietnamese) or 2026-12-31 (English)."""
    if value is None:
        return "–"
    return f"{value:%d/%m/%Y}" if lang == "vi" else value.isoformat()


def moment(value: datetime.datetime, lang: str) -> str:
    """A moment in Viet Nam's time, to the second."""
    from django.utils import timezone

    local = timezone.localtime(value)
    return f"{local:%H:%M:%S %d/%m/%Y}" if lang == "vi" else f"{local:%Y-%m-%d %H:%M:%S} ICT"
