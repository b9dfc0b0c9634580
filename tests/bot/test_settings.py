"""Settings: secrets stay secret, files and environment both work, bad values are named."""

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.settings import SettingsError, load_settings
from tests.support import ROOT


def test_token_from_a_secrets_file_is_never_printed(tmp_path, monkeypatch):
    (tmp_path / "briefing_discord_token").write_text("sekrit-token-123")
    monkeypatch.setenv("BRIEFING_SECRETS_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.discord_token.get_secret_value() == "sekrit-token-123"
    assert "sekrit" not in repr(settings) and "sekrit" not in str(settings.model_dump())


def test_whitespace_around_the_token_is_ignored(monkeypatch):
    monkeypatch.setenv("BRIEFING_DISCORD_TOKEN", "  sekrit-token-123 \n")
    assert load_settings().discord_token.get_secret_value() == "sekrit-token-123"


def test_bot_without_a_token_exits_with_one_clear_line():
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DISCORD_TOKEN"}
    env["BRIEFING_SECRETS_DIR"] = "/nonexistent"
    result = subprocess.run([sys.executable, "-m", "bot", "bot"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == ("briefing: BRIEFING_DISCORD_TOKEN is not set (environment,"
                                     " .env or /nonexistent/briefing_discord_token)")


def test_guild_ids_from_the_environment(monkeypatch):
    monkeypatch.setenv("BRIEFING_GUILD_IDS", "[123, 456]")
    assert load_settings().guild_ids == [123, 456]


@pytest.mark.parametrize(("value", "ids"), [("123", [123]), (" 123, 456 ", [123, 456]),
                                            ("", [])])
def test_guild_ids_may_be_written_as_shard_ids_are(monkeypatch, value, ids):
    # one server id, as an admin pastes it, was refused: "Input should be a valid list"
    monkeypatch.setenv("BRIEFING_GUILD_IDS", value)
    assert load_settings().guild_ids == ids


def test_admin_guild_ids_are_read_as_guild_ids_are(monkeypatch):
    assert load_settings().admin_guild_ids == []  # unset: admins of every server
    monkeypatch.setenv("BRIEFING_ADMIN_GUILD_IDS", " 123, 456 ")
    assert load_settings().admin_guild_ids == [123, 456]
    monkeypatch.setenv("BRIEFING_ADMIN_GUILD_IDS", "12a")
    with pytest.raises(SettingsError, match="BRIEFING_ADMIN_GUILD_IDS: .*'12a' is not a server id"):
        load_settings()


@pytest.mark.parametrize(("value", "reason"), [
    ("notjson", "Value error, 'notjson' is not a server id (e.g. 123, 123,456 or [123, 456])"),
    ("[123", "Value error, is not a JSON list of server ids"),
    # superscript digits gave "invalid literal for int() with base 10", and other digits
    # than 0-9 were read as a number
    ("¹²³", "Value error, '¹²³' is not a server id (e.g. 123, 123,456 or [123, 456])"),
    ("123,١٢٣", "Value error, '١٢٣' is not a server id (e.g. 123, 123,456 or [123, 456])")])
def test_unparseable_guild_ids_name_the_variable_in_one_line(value, reason):
    env = {**os.environ, "BRIEFING_GUILD_IDS": value}
    result = subprocess.run([sys.executable, "-m", "bot", "sources"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"briefing: invalid setting BRIEFING_GUILD_IDS: {reason}"]


@pytest.mark.parametrize(("name", "value"), [
    ("BRIEFING_GATE_THRESHOLD", "nan"), ("BRIEFING_GATE_THRESHOLD", "inf"),
    ("BRIEFING_FETCH_TIMEOUT_S", "NaN"), ("BRIEFING_FEED_MAX_AGE_DAYS", "-inf")])
def test_a_number_setting_that_is_not_finite_is_named_as_such(monkeypatch, name, value):
    # nan was refused as "Input should be less than or equal to 1", which it is not above
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value) == f"invalid setting {name}: Input should be a finite number"


def test_an_empty_folder_setting_is_refused_not_read_as_the_working_directory(tmp_path):
    for name in ("BRIEFING_INDEX_DIR", "BRIEFING_CORPUS_DIR", "BRIEFING_FEEDS_DB"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), name: " "}
        result = subprocess.run([sys.executable, "-m", "bot", "reindex"], env=env,
                                cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"briefing: invalid setting {name}: Value error, is empty (unset it to use the "
            "default)"]
        assert list(tmp_path.iterdir()) == []  # nothing written into the working directory


def test_an_unreadable_env_file_is_one_line(tmp_path):
    (tmp_path / ".env").write_bytes(b"BRIEFING_TOP_K=\xff\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "bot", "sources"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "briefing: cannot read the settings file .env or a secret (not valid UTF-8)"]


@pytest.mark.parametrize(("content", "said"), [
    ('BRIEFING_TOP_K=5\nBRIEFING_DISCORD_TOKEN="secret-token\n',
     "cannot parse .env line 2 (BRIEFING_DISCORD_TOKEN): is a quote left open?"),
    (None, "cannot read the settings file .env (it is a folder)")])
def test_an_env_file_line_that_cannot_be_parsed_is_an_error_not_a_default(tmp_path, content,
                                                                         said):
    """python-dotenv dropped the line with a warning naming no variable, and the setting
    silently took its default (a token said to be unset, a corpus folder elsewhere)."""
    if content is None:
        (tmp_path / ".env").mkdir()  # what Docker makes of a bind mount with no file
    else:
        (tmp_path / ".env").write_text(content, "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "bot", "sources"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"briefing: {said}"]
    assert "secret-token" not in result.stderr


def test_an_env_file_with_a_byte_order_mark_is_read_and_misspelt_names_are_warned_of(
        tmp_path, monkeypatch, caplog):
    """A BOM (Windows editors) hid the first line's setting, and a misspelt name was ignored
    without a word."""
    (tmp_path / ".env").write_bytes(b"\xef\xbb\xbfBRIEFING_TOP_K=1\nBRIEFING_CORPUSDIR=x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFING_TOPK", "2")
    assert load_settings().top_k == 1
    assert sorted(r.getMessage() for r in caplog.records if r.name == "bot.settings") == [
        "BRIEFING_CORPUSDIR is not a setting and is ignored; did you mean BRIEFING_CORPUS_DIR?",
        "BRIEFING_TOPK is not a setting and is ignored; did you mean BRIEFING_TOP_K?"]


@pytest.mark.parametrize("name", ["BRIEFING_MAX_ARTICLE_BYTES", "BRIEFING_FETCH_MAX_BYTES",
                                  "BRIEFING_MAX_CONVERSATIONS", "BRIEFING_SHARD_COUNT"])
def test_a_huge_number_is_refused_in_one_line(tmp_path, name):
    """100000000000 passed, then a reindex died of MemoryError and every /ask of an
    OverflowError in SQLite."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), name: "99999999999999999999999"}
    result = subprocess.run([sys.executable, "-m", "bot", "sources"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"briefing: invalid setting {name}: Input should be less than")


def test_a_discord_that_cannot_be_reached_is_one_line(tmp_path):
    """Port 9 of loopback: nothing listens, the connection is refused at once."""
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DATABASE_URL"}
    env |= {"PYTHONPATH": str(ROOT), "BRIEFING_DISCORD_TOKEN": "fake.token.value",
            "BRIEFING_DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
            "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
            "BRIEFING_CORPUS_DIR": str(ROOT / "corpus")}
    result = subprocess.run([sys.executable, "-m", "bot", "bot"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "briefing: cannot reach Discord at http://127.0.0.1:9/api/v10 (ClientConnectorError")


def test_empty_optional_paths_mean_unset(monkeypatch):
    monkeypatch.setenv("BRIEFING_HEALTH_FILE", "")
    monkeypatch.setenv("BRIEFING_MODEL_PATH", " ")
    settings = load_settings()
    assert settings.health_file is None and settings.model_path is None


@pytest.mark.parametrize(("name", "value"), [
    ("BRIEFING_DISCORD_API_BASE", "notaurl"), ("BRIEFING_DISCORD_API_BASE", "ws://x/api"),
    ("BRIEFING_DISCORD_GATEWAY_URL", "https://gateway.example")])
def test_a_discord_address_of_the_wrong_kind_is_named_in_one_line(tmp_path, name, value):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIEFING_DISCORD_TOKEN": "fake.token.value",
           name: value}
    result = subprocess.run([sys.executable, "-m", "bot", "bot"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"briefing: invalid setting {name}: Value error, is not a ")


class _NotDiscord(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        body = b"<html><body>Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_address_that_answers_but_is_not_discord_is_one_line(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotDiscord)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/api/v10"
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_DATABASE_URL"}
    env |= {"PYTHONPATH": str(ROOT), "BRIEFING_DISCORD_TOKEN": "fake.token.value",
            "BRIEFING_DISCORD_API_BASE": base, "BRIEFING_INDEX_DIR": str(tmp_path / "index"),
            "BRIEFING_CORPUS_DIR": str(ROOT / "corpus")}
    try:
        result = subprocess.run([sys.executable, "-m", "bot", "bot"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"briefing: {base} did not answer the login as Discord does (HTTP 404); check "
        "BRIEFING_DISCORD_API_BASE")


def test_a_token_secret_that_is_not_text_is_named_without_a_hint_about_json(tmp_path):
    (tmp_path / "briefing_discord_token").write_bytes(b"\xff\xfe")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIEFING_SECRETS_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot", "sources"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "briefing: invalid setting BRIEFING_DISCORD_TOKEN: cannot be parsed (is it UTF-8 text?)"]
