# Koppel's Peppol validation worker: the official CEN EN 16931 and Peppol BIS 3 rules, run by
# eu-einvoice in this process so that they are compiled once. Reads one JSON request per line
# on stdin, {"id": n, "xml_base64": "..."}, and answers one JSON line per request on stdout:
# {"id": n, "result": {...}} or {"id": n, "error": "..."}. The first line it writes says
# whether it is ready. Started by koppel-einvoice with `python -c <this script>`.
import base64
import json
import sys

answers = sys.stdout
# Whatever the rule engine prints must not mix with the answers.
sys.stdout = sys.stderr

KEYS = ("valid", "complete", "errors", "warnings", "layers_run", "layers_skipped")


def answer(message):
    answers.write(json.dumps(message) + "\n")
    answers.flush()


try:
    from eu_einvoice import validate as engine
except Exception as error:  # the package is missing or broken in this Python
    answer({"id": 0, "fatal": "eu-einvoice cannot be imported: %s: %s" % (type(error).__name__, error)})
    sys.exit(0)

answer({"id": 0, "ready": True})

for raw in sys.stdin:
    raw = raw.strip()
    if not raw:
        continue
    request_id = None
    try:
        request = json.loads(raw)
        request_id = request.get("id")
        xml = base64.b64decode(request["xml_base64"])
        result = engine.validate(xml, profile="peppol", fetch=False)
        answer({"id": request_id, "result": {key: result.get(key) for key in KEYS}})
    except Exception as error:
        answer({"id": request_id, "error": "%s: %s" % (type(error).__name__, error)})
