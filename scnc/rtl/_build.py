"""Small helpers shared by the gateware builders."""

from __future__ import annotations

import functools

__all__ = ["silence_on_error"]


def silence_on_error(init):
    """Decorate a component's ``__init__``: a component whose construction raised is not an
    "unused elaboratable", so Amaranth's UnusedElaboratable warning is silenced for it."""

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        try:
            init(self, *args, **kwargs)
        except BaseException:
            self._MustUse__silence = True
            raise

    return wrapper
