"""What the offline stack runs with: default ports and the sink's credentials.

These values are for loopback only. The emulator and the SMS sink accept nothing
from outside the machine, so none of them is a secret.
"""

import json
import os
from pathlib import Path

HOST = "127.0.0.1"
REGION = "us-east-1"
STAGE = "local"

EMULATOR_PORT = int(os.environ.get("MOTO_PORT", "4566"))
API_PORT = int(os.environ.get("API_PORT", "8000"))
ADMIN_PORT = int(os.environ.get("ADMIN_PORT", "8001"))
SMS_SINK_PORT = int(os.environ.get("SMS_SINK_PORT", "4010"))
# SNS runs in the push sink's process (local/push_sink.py), apart from the emulator.
PUSH_SINK_PORT = int(os.environ.get("PUSH_SINK_PORT", "4020"))
SNS_PORT = int(os.environ.get("SNS_PORT", "4021"))

# The same SID is in the local stage of .chalice/config.json; the token goes into the
# emulator's SSM at bootstrap, exactly where the app reads it on AWS.
TWILIO_ACCOUNT_SID = "AC" + "0" * 31 + "1"
TWILIO_AUTH_TOKEN = "local-sms-sink-token"

CHALICE_CONFIG = Path(__file__).resolve().parents[1] / ".chalice" / "config.json"


def stage_environment(emulator_url: str, sms_sink_url: str,
                      sns_url: str | None = None) -> dict[str, str]:
    """The environment every local process runs with: the `local` stage's variables
    from .chalice/config.json, plus where the emulator, SNS (the push sink's; by
    default the emulator's own), the SMS sink and the admin site listen (ports can be
    overridden, so they are not in the stage config)."""
    stage = json.loads(CHALICE_CONFIG.read_text())["stages"][STAGE]
    return {
        **stage["environment_variables"],
        "AWS_ENDPOINT_URL": emulator_url,
        "AWS_ENDPOINT_URL_SNS": sns_url or emulator_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "MASSES_TWILIO_API_BASE": sms_sink_url,
        # The API admits browser calls from the admin site (CORS).
        "MASSES_ADMIN_ORIGINS": f"http://{HOST}:{ADMIN_PORT}",
    }
