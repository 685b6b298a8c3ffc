import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from govkpi.core.names import name_keys, normalize


def test_nfd_and_nfc_forms_have_the_same_key():
    nfd = unicodedata.normalize("NFD", "Hà Nội")
    assert nfd != "Hà Nội"
    assert name_keys(nfd) == name_keys("Hà Nội")


def test_old_and_new_tone_placement_have_the_same_key():
    assert name_keys("Thanh Hoá").full == name_keys("Thanh Hóa").full
    assert name_keys("Khánh Hoà").full == name_keys("Khánh Hòa").full


def test_different_tones_keep_different_tone_keys_but_share_the_plain_key():
    assert name_keys("Hà Nam").full != name_keys("Hạ Nam").full
    assert name_keys("Hà Nam").full_plain == name_keys("Hạ Nam").full_plain == "ha nam"


def test_case_spacing_and_punctuation_do_not_matter():
    assert name_keys("  thành PHỐ   hồ chí minh ").full == name_keys("Thành phố Hồ Chí Minh").full
    assert name_keys("TP. Hồ Chí Minh").short == name_keys("TP Hồ Chí Minh").short


def test_legal_type_prefixes_are_split_off():
    for written in ("Tỉnh Hà Giang", "Thành phố Hà Giang", "TP. Hà Giang", "Xã Hà Giang", "Phường Hà Giang",
                    "Đặc khu Hà Giang"):
        keys = name_keys(written)
        assert keys.short == name_keys("Hà Giang").full, written
        assert keys.prefix != ""


def test_a_prefix_alone_is_a_name_not_a_prefix():
    # "Phường" with nothing after it keeps its word: there is no empty short name.
    assert name_keys("Phường").short == name_keys("Phường").full != ""


def test_numbered_wards_keep_their_number_in_both_keys():
    assert name_keys("Phường 1").full_plain == "phuong 1"
    assert name_keys("Phường 1").full != name_keys("Phường 2").full


def test_and_and_ampersand_are_ignored_between_words():
    assert name_keys("Bộ Thông tin và Truyền thông").full == name_keys("Bộ Thông tin truyền thông").full


@given(st.text(max_size=80))
def test_any_text_gives_keys_and_never_raises(text):
    keys = name_keys(text)
    assert keys.full == name_keys(normalize(text)).full
    assert keys.short in keys.full


@given(st.text(alphabet="aăâeêioôơuưyđAĂÂEÊIOÔƠUƯYĐàáảãạằắẳẵặầấẩẫậ ", min_size=1, max_size=30))
def test_plain_key_has_no_vietnamese_marks(text):
    assert all(ord(c) < 128 for c in name_keys(text).full_plain)
