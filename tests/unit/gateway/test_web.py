"""The gateway's request log never shows a caller's key."""

import logging

from services.gateway import web


def test_a_request_line_with_a_key_in_its_query_string_is_logged_without_it(caplog):
    with caplog.at_level(logging.INFO, logger=web.log.name):
        web.log.info('%s - "GET /pages/stats/unit_1?months=3&api_key=lk_SeCrEt-Key_123 HTTP/1.1" 200', "127.0.0.1")
        web.log.info('"GET /open311/v2/requests.json?api_key=lk_other HTTP/1.1" 200')
    assert "lk_SeCrEt" not in caplog.text and "lk_other" not in caplog.text
    assert "months=3&api_key=*** HTTP/1.1" in caplog.text
