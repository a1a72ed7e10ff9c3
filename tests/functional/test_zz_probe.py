import re
from tests.builders import make_user, make_community

def test_probe(app, client, login_as):
    big = "a=" + "x" * (10 * 1024 * 1024)
    tok = client.csrf_token()
    r = client.post("/login", data=big, content_type="application/x-www-form-urlencoded")
    print("413?", r.status_code, re.sub(r"\s+", " ", r.get_data(as_text=True))[-1200:])
    r = client.post("/login", data="csrf_token="+tok+"&"+big, content_type="application/x-www-form-urlencoded")
    print("413 with token?", r.status_code)
