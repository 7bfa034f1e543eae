"""A real SMTP server for the mail tests (aiosmtpd), on loopback.

Every accepted message is written to DIR as NNNNNN.eml, its envelope recipients first as an
`X-Envelope-To:` header. Recipients in a --refuse domain are answered 550 at RCPT.

    python3 tests/smtp_sink.py PORT DIR [--refuse DOMAIN] [--delay SECONDS]

--delay makes every message take that long to be accepted, so that a test can kill a
sender in the middle of its work.
"""
import argparse
import asyncio
import itertools
import os

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, refuse, delay):
        self.directory = directory
        self.refuse = refuse
        self.delay = delay
        self.counter = itertools.count(len(os.listdir(directory)) + 1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse and address.lower().endswith("@" + self.refuse):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        n = next(self.counter)
        tmp = os.path.join(self.directory, f".{n:06d}.tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        # The file appears whole or not at all.
        os.rename(tmp, os.path.join(self.directory, f"{n:06d}.eml"))
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("directory")
    p.add_argument("--refuse")
    p.add_argument("--delay", type=float, default=0.0)
    a = p.parse_args()
    os.makedirs(a.directory, exist_ok=True)
    controller = Controller(Sink(a.directory, a.refuse, a.delay), hostname="127.0.0.1", port=a.port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
