"""The parser and paginator every API view uses (REST_FRAMEWORK in the settings), bounded by ``api_limits``."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from outbound.api_limits import MAX_OFFSET, MAX_PAGE_SIZE


class NestingSafeJSONParser(JSONParser):
    """DRF's JSON parser, with JSON nested deeper than Python's recursion limit refused as a parse error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """``limit`` is cut to MAX_PAGE_SIZE; an ``offset`` past any table is refused, naming it."""

    max_limit = MAX_PAGE_SIZE

    def get_offset(self, request: Request) -> int:
        offset = super().get_offset(request)
        if offset > MAX_OFFSET:
            raise ValidationError({self.offset_query_param: [f"Must be at most {MAX_OFFSET}."]})
        return offset
