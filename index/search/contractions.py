"""The word a contraction's piece stands for, so that the gate weighs it as that word.

A chat question is full of contractions, often without the apostrophe. Tokenised, "didn't"
gives the word "didn" and "couldn't" "couldn", which English text rarely or never writes alone:
the relevance gate weighed them above "Russia" (4.7 and 5.0 against 3.1 on its rarity scale,
`index.search.rarity`) and counted every passage without them as missing the question's most
telling word ("why didn't putin punish erdogan" was refused with its paragraph first).
"whats" and "wheres" weighed as much as a name. Weighed as "did", "could", "what" and "where"
they say as little as those words do. Only their weight changes: the words are still searched
as typed (a passage that says "didn't" still matches "didn").
"""

from __future__ import annotations

_NEGATED = ["do", "does", "did", "is", "are", "was", "were", "has", "had", "could", "would",
            "should", "must", "need"]

# A piece of a contraction (as `index.store.lexical.words` gives it) -> the word it stands for.
# Left out: pieces that are also common words of their own ("won", "haven", "its", "lets",
# "well", "ill", "were").
STANDS_FOR: dict[str, str] = {
    **{f"{verb}n": verb for verb in _NEGATED if verb != "do"},  # "didn't" -> "didn"
    **{f"{verb}nt": verb for verb in _NEGATED},  # "didnt"
    "don": "do", "havent": "have", "cant": "can", "wont": "will", "ain": "is", "aint": "is",
    "whats": "what", "wheres": "where", "whos": "who", "hows": "how", "whens": "when",
    "whys": "why", "thats": "that", "theres": "there", "heres": "here",
    "youre": "you", "theyre": "they", "im": "am", "ive": "have", "youve": "have",
    "weve": "have", "theyve": "have",
    "ll": "will", "ve": "have", "re": "are", "m": "am", "d": "would",  # "they'll", "we've"
    "gonna": "going", "wanna": "want", "gotta": "got", "kinda": "kind", "sorta": "sort",
    "dunno": "know",
}
