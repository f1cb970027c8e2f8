"""The fault tests use the Zalo fixtures too (a fake Zalo and `troly serve`'s web app in front of it)."""

from tests.zalo.conftest import fake_zalo, zalo, zalo_lite, zalo_settings_for

__all__ = ["fake_zalo", "zalo", "zalo_lite", "zalo_settings_for"]
