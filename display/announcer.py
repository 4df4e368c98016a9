"""The announcement queue: every call heard, never two at once, never cut off.

Policy (``AnnouncementQueue``, plain Python, no threads):

* one announcement at a time; the current one always plays to its end;
* recalls go ahead of waiting first calls (spoken as soon as the current
  announcement ends), first-in first-out among themselves;
* the same call (ticket and counter) waiting twice is spoken once; a recall
  merging into a waiting call moves it ahead;
* when ``pileup_threshold`` announcements wait, the configured repeats are
  dropped (each call said once), so every call is still heard.

``Announcer`` runs the queue on its own thread (never the UI thread): it
renders an announcement (espeak-ng runs as a separate process), plays it on
the ``AudioOut`` and reports audio health transitions ("fault" / "ok").
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from config.display_node import Speech as SpeechConfig
from config.schema import Hall
from hw.audio import AudioError, AudioOut, Pcm, chime, concat
from hw.dsp import gain_db
from hw.speech import Speech, SpeechError
from runtime.voice import VoiceRenderer, build_voice
from runtime.voice_plan import plan

logger = logging.getLogger(__name__)

HealthCallback = Callable[[str, str], None]
"""``callback(status, message)`` with status "ok" or "fault"."""


@dataclass(frozen=True)
class CallRequest:
    """One call (or recall) to announce.

    Attributes:
        ticket: the ticket called, e.g. "A012".
        counter: the counter it is called to.
        recall: a recall (重呼) rather than a first call.
        at: when the broker made the call (epoch seconds), for logs and de-duplication.
        slow: say this call slowly and louder (asked for one visitor by the clerk).
    """

    ticket: str
    counter: int
    recall: bool = False
    at: float = 0.0
    slow: bool = False

    @property
    def key(self) -> tuple[str, int]:
        """What makes two requests "the same call"."""
        return self.ticket, self.counter


class AnnouncementQueue:
    """The waiting announcements and the order they are spoken in (not thread-safe).

    Args:
        repeat: how often the phrases are said when calls do not pile up.
        pileup_threshold: with at least this many waiting, repeats are dropped.
    """

    def __init__(self, repeat: int = 1, pileup_threshold: int = 3) -> None:
        self.repeat = repeat
        self.pileup_threshold = pileup_threshold
        self._recalls: list[CallRequest] = []
        self._calls: list[CallRequest] = []

    def __len__(self) -> int:
        return len(self._recalls) + len(self._calls)

    def pending(self) -> list[CallRequest]:
        """The waiting requests in the order they will be spoken."""
        return [*self._recalls, *self._calls]

    def push(self, request: CallRequest) -> bool:
        """Queue a request.

        Returns:
            False when it merged into a waiting request for the same call.
        """
        for index, waiting in enumerate(self._recalls):
            if waiting.key == request.key:
                if request.slow and not waiting.slow:
                    self._recalls[index] = request  # the clerk asked for it slowly: keep that
                return False
        for index, waiting in enumerate(self._calls):
            if waiting.key == request.key:
                if request.recall:
                    # The visitor has not come yet: say it as a recall, and soon.
                    del self._calls[index]
                    self._recalls.append(request)
                return False
        (self._recalls if request.recall else self._calls).append(request)
        return True

    def pop(self) -> tuple[CallRequest, int] | None:
        """The next request and how often to say its phrases, or None when empty."""
        if not self:
            return None
        piled_up = len(self) >= self.pileup_threshold
        request = self._recalls.pop(0) if self._recalls else self._calls.pop(0)
        return request, 1 if piled_up else self.repeat


class AnnouncementRenderer:
    """Turns a call into one clip: chime, pause, then the utterance of each language.

    Args:
        hall: the hall (counter names).
        speech_config: the display's speech settings.
        speech: espeak-ng (the voice, or the fallback for words a clip pack lacks).
        voice: the voice to use (default: built from the settings, ``build_voice``).
    """

    def __init__(self, hall: Hall, speech_config: SpeechConfig, speech: Speech | None,
                 voice: VoiceRenderer | None = None) -> None:
        self.hall = hall
        self.config = speech_config
        self.speech = speech
        self.voice = voice if voice is not None else build_voice(speech_config, speech)
        self._chimes: dict[bool, Pcm] = {}
        if speech_config.chime:
            self._chime(speech_config.slow_mode)  # made now, not on the first call's time

    def _chime(self, slow: bool) -> Pcm:
        if slow not in self._chimes:
            bell = chime(self.config.volume, self.voice.rate)
            self._chimes[slow] = gain_db(bell, self.config.slow_gain_db) if slow else bell
        return self._chimes[slow]

    def render(self, request: CallRequest, repeats: int = 1,
               languages: tuple[str, ...] | None = None) -> Pcm:
        """The whole announcement of ``request``.

        Args:
            request: the call.
            repeats: how often the utterances are said.
            languages: override the configured languages.

        Raises:
            SpeechError: a word could not be rendered.
        """
        slow = self.config.slow_mode or request.slow
        pause = self.voice.pause(self.config.pause_seconds * (2 if slow else 1))
        clips: list[Pcm] = [self._chime(slow), pause] if self.config.chime else []
        said = plan(self.hall, self.config, request.ticket, request.counter,
                    recall=request.recall, languages=languages)
        for round_ in range(repeats):
            for index, utterance in enumerate(said):
                if round_ or index:
                    clips.append(pause)
                clips.append(self.voice.render(utterance, slow=slow))
        label = f"{'recall' if request.recall else 'call'} {request.ticket} -> {request.counter}"
        return concat(clips, label=label + (" (slow)" if slow else ""))


HISTORY_KEPT = 200
"""Announcements kept in ``Announcer.history``: a wall display runs for months."""


@dataclass
class Spoken:
    """What happened to one announcement (for tests, benchmarks and logs).

    Attributes:
        request: the call.
        repeats: how often its phrases were said.
        queued_at: monotonic time it was submitted.
        ready_at: when its audio was rendered.
        started_at: when playback began.
        ended_at: when playback ended (or failed).
        error: why it was not heard, or None.
    """

    request: CallRequest
    repeats: int
    queued_at: float
    ready_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    error: str | None = None


class Announcer:
    """Speaks calls one at a time on a worker thread.

    Args:
        render: ``render(request, repeats) -> Pcm`` (an ``AnnouncementRenderer.render``).
        audio: where clips are played.
        repeat: configured repeats per call.
        pileup_threshold: waiting announcements that count as a pile-up.
        on_health: told "fault" when audio fails and "ok" when it works (again).
        clock: monotonic clock for the records.
    """

    def __init__(self, render: Callable[[CallRequest, int], Pcm], audio: AudioOut, *,
                 repeat: int = 1, pileup_threshold: int = 3,
                 on_health: HealthCallback | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._render = render
        self._audio = audio
        self._on_health = on_health
        self._clock = clock
        self._queue = AnnouncementQueue(repeat, pileup_threshold)
        self._queued_at: dict[tuple[str, int], float] = {}
        self._condition = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._health: str | None = None
        self.history: list[Spoken] = []
        """The latest announcements, oldest first (at most ``HISTORY_KEPT``)."""
        self.current: CallRequest | None = None

    def submit(self, request: CallRequest) -> bool:
        """Queue a call to be spoken (thread-safe, never blocks on audio).

        Returns:
            False when it merged into a waiting announcement of the same call.
        """
        with self._condition:
            added = self._queue.push(request)
            if added:
                self._queued_at[request.key] = self._clock()
            self._condition.notify_all()
        logger.info("%s %s -> counter %d%s", "recall" if request.recall else "call",
                    request.ticket, request.counter, "" if added else " (already queued)")
        return added

    def pending(self) -> list[CallRequest]:
        """Waiting announcements in speaking order (not the one playing)."""
        with self._condition:
            return self._queue.pending()

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the announcement playing now; waiting ones are dropped."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until nothing waits and nothing plays.

        Returns:
            True if idle within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while self._busy or len(self._queue):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
            return True

    def run_once(self) -> Spoken | None:
        """Speak the next waiting announcement on the calling thread (tests, the CLI)."""
        with self._condition:
            item = self._queue.pop()
            if item is None:
                return None
            self._busy = True
        try:
            return self._speak(*item)
        finally:
            with self._condition:
                self._busy = False
                self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and not len(self._queue):
                    self._condition.wait()
                if self._stopping:
                    return
                item = self._queue.pop()
                if item is None:
                    continue
                self._busy = True
            try:
                self._speak(*item)
            except Exception:  # noqa: BLE001 - one bad announcement must not silence the hall
                logger.exception("announcement of %s failed", item[0].ticket)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def _speak(self, request: CallRequest, repeats: int) -> Spoken:
        with self._condition:
            queued_at = self._queued_at.pop(request.key, self._clock())
        record = Spoken(request, repeats, queued_at)
        self.current = request
        try:
            clip = self._render(request, repeats)
            record.ready_at = self._clock()
            record.started_at = self._clock()
            self._audio.play(clip)
            record.ended_at = self._clock()
            self._report("ok", "")
        except (AudioError, SpeechError) as err:
            record.ended_at = self._clock()
            record.error = str(err)
            logger.error("announcement of %s -> %d not heard: %s", request.ticket,
                         request.counter, err)
            self._report("fault", str(err)[:200])
        finally:
            self.current = None
            with self._condition:
                self.history.append(record)
                del self.history[:-HISTORY_KEPT]
        return record

    def _report(self, status: str, message: str) -> None:
        if status == self._health:
            return
        self._health = status
        if self._on_health is not None:
            try:
                self._on_health(status, message)
            except Exception:  # noqa: BLE001 - reporting must not stop the voice
                logger.exception("audio health report failed")
