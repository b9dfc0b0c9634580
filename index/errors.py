"""Errors the retrieval engine raises; callers turn them into one-line messages."""


class BriefingError(Exception):
    """Base class for every error `index` raises on purpose."""


class ArticleError(BriefingError):
    """An article file could not be read (empty, binary, undecodable, no text)."""


class IndexMissing(BriefingError):
    """There is no index in the index directory yet."""


class IndexCorrupt(BriefingError):
    """The index on disk is damaged or unreadable."""


REINDEX_ADVICE = "; run `briefing reindex`"  # ends an IndexCorrupt message when a reindex mends it


def cause(error: Exception) -> str:
    """`error`'s message without the advice to reindex: for when that is being done."""
    return str(error).removesuffix(REINDEX_ADVICE)


class IndexMismatch(BriefingError):
    """The index was built with another model or format than the one in use."""


class InvalidQuestion(BriefingError):
    """A question that cannot be searched: its `reason` is "empty", "no words" or "too long"
    (then `length` and `limit` say by how much). `about("topic")` says it of a topic."""

    def __init__(self, reason: str, length: int = 0, limit: int = 0) -> None:
        super().__init__(reason, length, limit)  # as args: it pickles, as errors must
        self.reason, self.length, self.limit = reason, length, limit

    def __str__(self) -> str:
        return self.about("question")

    def about(self, noun: str) -> str:
        """The one line for a `noun` (question, topic) that failed this way."""
        if self.reason == "too long":
            return f"the {noun} is {self.length} characters long; the limit is {self.limit}"
        return f"the {noun} {'is empty' if self.reason == 'empty' else 'has no words'}"


class CorpusMissing(BriefingError):
    """The corpus directory does not exist."""


class CorpusEmpty(BriefingError):
    """The corpus folder holds no article while the index holds some: a volume that failed
    to mount looks like this, so the index is kept unless emptying it is asked for."""


class CorpusUnreadable(BriefingError):
    """The corpus directory, or a folder inside it, cannot be listed: reindexing then would
    drop every article in it, so nothing is changed."""


class ArticleNotFound(BriefingError):
    """No indexed article has the id asked for."""


class NothingIndexed(BriefingError):
    """The index holds no passages: the corpus had no readable article when it was built."""


class CorpusNotWritable(BriefingError):
    """An article file cannot be deleted from the corpus folder (read-only, no permission)."""


class IndexNotWritable(BriefingError):
    """The index folder refuses writes (read-only, full, no permission); nothing was changed."""


# Ends the message of an index write that failed: what a reader of the message needs to know,
# except where no index was served before (a bot's first build leaves it out).
PREVIOUS_STILL_ANSWERS = "; the previous index, if any, still answers"


class ReindexRunning(BriefingError):
    """Another process is reindexing the same index folder and did not finish in time."""
