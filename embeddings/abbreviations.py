"""Teencode and abbreviations that citizens type, mapped to the words the guides use.

Keys are lower-case words exactly as typed (with the tone on the canonical vowel, see `text.place_tone`), so an
accented word that happens to fold onto a teencode ("hỏng" → "hong") is never rewritten by mistake. Values are
written with diacritics; `text.analyze` folds them like any other text. Only unambiguous entries belong here:
a wrong expansion hurts more than a missing one, because the typo corrector and BM25 handle the rest.
"""

from __future__ import annotations

from types import MappingProxyType


def _entries(*groups: tuple[str, str]) -> MappingProxyType[str, str]:
    table: dict[str, str] = {}
    for keys, value in groups:
        for key in keys.split():
            table[key] = value
    return MappingProxyType(table)


ABBREVIATIONS = _entries(
    # function words in teencode
    ("ko k kh khg kg k0 hok hk hem hông hum", "không"),
    ("dc đc đx đươc", "được"),
    ("j ji", "gì"),
    ("ntn", "như thế nào"),
    ("lm", "làm"),
    ("bn bnh", "bao nhiêu"),
    ("bik bit bít", "biết"),
    ("vs", "với"),
    ("wa", "qua"),
    ("r", "rồi"),
    ("ms", "mới"),
    ("trc", "trước"),
    ("đag dag", "đang"),
    ("cx cg", "cũng"),
    ("ng", "người"),
    ("mn", "mọi người"),
    ("mik mjk mh", "mình"),
    ("lun", "luôn"),
    ("nhìu nhiu", "nhiều"),
    ("ak ah", "à"),
    ("đt dt dthoai đthoai", "điện thoại"),
    ("sdt sđt", "số điện thoại"),
    ("tk acc", "tài khoản"),
    ("mk pass pw password", "mật khẩu"),
    ("app ud apps", "ứng dụng"),
    ("đk dk đki dki đky dky đkí dkí dangky đăngký", "đăng ký"),
    ("đn dn dnhap đnhap dangnhap", "đăng nhập"),
    ("ck", "chuyển khoản"),
    ("hs", "hồ sơ"),
    ("xn", "xác nhận"),
    ("fb", "facebook"),
    # administrative abbreviations
    ("cccd", "căn cước công dân"),
    ("cmnd", "chứng minh nhân dân"),
    ("cmt", "chứng minh thư"),
    ("dvc dvctt", "dịch vụ công"),
    ("dvcqg", "dịch vụ công quốc gia"),
    ("cks", "chữ ký số"),
    ("đdđt dddt ddđt đddt", "định danh điện tử"),
    ("gplx", "giấy phép lái xe"),
    ("bhyt", "bảo hiểm y tế"),
    ("bhxh", "bảo hiểm xã hội"),
    ("tthc", "thủ tục hành chính"),
    ("ubnd", "ủy ban nhân dân"),
    ("gks", "giấy khai sinh"),
    ("lltp", "lý lịch tư pháp"),
    ("cskh", "chăm sóc khách hàng"),
    ("cđs cds", "chuyển đổi số"),
    ("đkkd", "đăng ký kinh doanh"),
    ("nđ", "nghị định"),
    ("qđ", "quyết định"),
)
