"""Twilio: Programmable Voice webhooks and bidirectional Media Streams (see `TwilioChannel`)."""

from .channel import TICKET_PARAMETER, TwilioChannel, TwilioLeg
from .frames import StreamStart
from .twiml import connect_stream

__all__ = ["TICKET_PARAMETER", "StreamStart", "TwilioChannel", "TwilioLeg", "connect_stream"]
