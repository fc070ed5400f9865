"""Refusals of the rail settings (rail_config_set)."""

from core.errors import ErrorCode


class RailError:
    RAIL_CONFIG_INCOMPLETE = ErrorCode(
        "rail_config_incomplete", "该付款通道还缺少设置:{names}", "This rail still needs: {names}.", status=422)
