"""The error body every API route answers with: a code, the message in Vietnamese and in English."""

from ninja import Schema


class Problem(Schema):
    code: str
    message: str
    message_en: str = ""
