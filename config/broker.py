"""kombu's filesystem transport, with messages written atomically.

The stock transport writes a message file in place; a worker polling the folder can
take the file before it is written, read nothing and stop with a JSONDecodeError
(celery/kombu#1551). Here each message is written beside the queue folder and then
renamed into it, which the worker sees all at once.

The folders are made again when something removed them (`make clean`, a temp cleaner)
while the processes run: the stock transport's worker stops for good with a
FileNotFoundError. What was queued in them is lost, as after a broker restart; the
sweeps send it again.
"""

import os
import tempfile
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _make_folders(self) -> None:
        for folder in (self.data_folder_in, self.data_folder_out, self.processed_folder):
            os.makedirs(folder, exist_ok=True)

    def _get(self, queue):
        try:
            return super()._get(queue)
        except FileNotFoundError:
            # The queue folder itself is gone (a message file that vanishes is skipped).
            self._make_folders()
            raise Empty() from None

    def _put(self, queue, payload, **kwargs):
        staging = os.path.join(os.path.dirname(os.path.abspath(self.data_folder_out)), "staging")
        os.makedirs(staging, exist_ok=True)
        os.makedirs(self.data_folder_out, exist_ok=True)
        name = f"{filesystem.uuid.uuid4()}.{queue}.msg"
        name = f"{round(filesystem.monotonic() * 1000)}_{name}"
        try:
            with tempfile.NamedTemporaryFile("wb", dir=staging, delete=False) as file:
                file.write(dumps(payload).encode())
            os.replace(file.name, os.path.join(self.data_folder_out, name))
        except OSError as error:
            raise ChannelError(f"Cannot add {name!r} to the queue folder") from error


class Transport(filesystem.Transport):
    Channel = Channel
