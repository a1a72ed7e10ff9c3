"""English-like text with a Zipf word distribution, and its HTML without running Markdown.

Words are drawn from a fixed vocabulary ranked by frequency: function words
first, then common business and engineering words, then a long tail of made-up
words (so a rare word is found in a few posts, a common one in most threads).
Bodies are plain paragraphs of letters, commas and full stops only, so their
Markdown rendering is exactly ``<p>...</p>`` per paragraph; ``paragraphs_html``
produces it directly (``render_markdown`` on a million posts would take hours;
a test checks both agree on samples).
"""

import bisect
import itertools
import random

FUNCTION_WORDS = """the of and to a in is that for it as with was on be by this are or at from
have an not but which they we you all can has were their more one there will would been if when
so what about them out up into than some could other then only its also these over our how
most may any such first new very should because each well just where through most after those
""".split()

CONTENT_WORDS = """team data process project customer time work system service quality review
design change plan support report release test code issue team's risk product meeting cost
question problem answer idea practice standard policy budget tool approach result model
performance security platform network deployment pipeline feedback training safety contract
supplier audit forecast revenue market strategy roadmap requirement document template
workflow migration database server cluster incident outage monitoring alert dashboard metric
analysis experiment hypothesis sample survey interview research user interface component
library framework language python java javascript kubernetes container cloud storage backup
recovery latency throughput capacity scaling cache queue message event schedule deadline
estimate scope priority backlog sprint retrospective demo stakeholder sponsor manager engineer
analyst designer lead coach mentor onboarding learning course workshop session guideline
checklist lesson example case study benchmark baseline target goal objective outcome impact
value benefit tradeoff option decision proposal draft version approval sign compliance
privacy regulation legal finance invoice payment account budgeting procurement inventory
warehouse logistics shipping plant line shift maintenance inspection defect tolerance
calibration sensor machine tooling material energy carbon emission sustainability waste
recycling water site office remote hybrid travel expense headcount hiring interviewing
promotion feedback culture diversity inclusion wellbeing community network knowledge expert
question writing editing translation content campaign brand social channel partner vendor
license renewal upgrade patch vulnerability threat encryption identity access token password
firewall endpoint laptop printer ticket helpdesk escalation handover runbook playbook
automation script query index schema table column join transaction lock replica shard
notebook spark pandas statistics regression classification clustering feature label
accuracy precision recall bias fairness explainability governance lineage catalogue steward
owner contributor reviewer maintainer architecture diagram interface contract protocol
request response payload header endpoint gateway proxy balancer certificate domain region
zone failover rollback canary rollout flag toggle configuration secret variable environment
staging production development branch merge commit build artifact package dependency
""".split()

_SYLLABLES = (
    "ka ri to mu le sa vo ne di po ra ti lo ma ze ku fa ni be go ha ju se ro ve "
    "tal mor ken dra vin sel pur gan lis dor mek fal bru nor sti gle pra thon"
).split()


def _made_up_words(count: int, rng: random.Random) -> list[str]:
    seen = set(FUNCTION_WORDS) | set(CONTENT_WORDS)
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class TextGenerator:
    """Deterministic (for a given ``rng``) Zipf-distributed sentences, paragraphs and titles."""

    def __init__(self, rng: random.Random, vocabulary_size: int = 30_000, exponent: float = 1.05):
        self.rng = rng
        vocabulary = list(dict.fromkeys(FUNCTION_WORDS + [w for w in CONTENT_WORDS if "'" not in w]))
        vocabulary += _made_up_words(vocabulary_size - len(vocabulary), random.Random(20240101))
        self.vocabulary = vocabulary
        self.cum_weights = list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, len(vocabulary) + 1)))
        self._total = self.cum_weights[-1]
        content = [w for w in vocabulary if w not in set(FUNCTION_WORDS)]
        self.content = content
        self.content_cum = list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, len(content) + 1)))

    def words(self, n: int) -> list[str]:
        vocabulary, cum, total, rnd = self.vocabulary, self.cum_weights, self._total, self.rng.random
        hi = len(cum) - 1
        return [vocabulary[bisect.bisect(cum, rnd() * total, 0, hi)] for _ in range(n)]

    def content_words(self, n: int) -> list[str]:
        return self.rng.choices(self.content, cum_weights=self.content_cum, k=n)

    def post_length(self) -> int:
        """Words in a post: 20 to 300, most near 50 (log-normal)."""
        return min(300, max(20, int(self.rng.lognormvariate(4.0, 0.6))))

    def paragraphs(self, n_words: int) -> list[str]:
        """Paragraphs of sentences totalling ``n_words`` words: letters, commas and full stops only."""
        words = self.words(n_words)
        rng = self.rng
        paragraphs, sentences, start = [], [], 0
        paragraph_left = rng.randint(2, 5)
        while start < n_words:
            length = min(n_words - start, rng.randint(5, 18))
            sentence = words[start : start + length]
            start += length
            if length > 8 and rng.random() < 0.3:
                cut = rng.randint(3, length - 3)
                sentence[cut] = sentence[cut] + ","
            sentences.append(
                sentence[0].capitalize() + " " + " ".join(sentence[1:]) + "."
                if length > 1
                else sentence[0].capitalize() + "."
            )
            paragraph_left -= 1
            if paragraph_left == 0 or start >= n_words:
                paragraphs.append(" ".join(sentences))
                sentences, paragraph_left = [], rng.randint(2, 5)
        return paragraphs

    def title(self) -> str:
        words = self.content_words(self.rng.randint(3, 8))
        return (" ".join(words)).capitalize()


def paragraphs_markdown(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def paragraphs_html(paragraphs: list[str]) -> str:
    """What ``render_markdown`` makes of ``paragraphs_markdown(paragraphs)`` (plain words only)."""
    return "\n".join(f"<p>{p}</p>" for p in paragraphs)
