"""kombu's filesystem transport, with messages written atomically.

The stock transport writes a message file in place; a worker polling the folder can
take the file before it is written, read nothing and stop with a JSONDecodeError
(celery/kombu#1551). Here each message is written beside the queue folder and then
renamed into it, which the worker sees all at once.
"""

import os
import tempfile

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        staging = os.path.join(os.path.dirname(os.path.abspath(self.data_folder_out)), "staging")
        os.makedirs(staging, exist_ok=True)
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
