"""Bounded load: clinicians logging sessions and supervisors reading dashboards.

Run by bench/load.py against gunicorn on 127.0.0.1; USERS_FILE maps each
generated username to the client ids it may use.
"""

import itertools
import json
import os
import random
import re
from datetime import date, timedelta

from locust import HttpUser, between, task

USERS = json.load(open(os.environ["USERS_FILE"]))  # noqa: SIM115
PASSWORD = USERS["password"]
FACTOR_KEYS = USERS["factor_keys"]
_clinicians = itertools.cycle(USERS["clinicians"])
_supervisors = itertools.cycle(USERS["supervisors"])
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class LoggedIn(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)

    def log_in(self, username, codes=()):
        page = self.client.get("/accounts/login/", name="login page")
        token = TOKEN.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="login",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login refused: {response.status_code}")
            second_step = response.headers.get("Location", "").endswith("/accounts/two-step/")
        if second_step:  # a supervisor: a recovery code (bench/load.py made them) as the second factor
            with self.client.post(
                "/accounts/two-step/",
                {"code": codes.pop(), "csrfmiddlewaretoken": token},
                name="login (second step)",
                catch_response=True,
                allow_redirects=False,
            ) as response:
                if response.status_code != 302:
                    response.failure(f"code refused: {response.status_code}")


class Clinician(LoggedIn):
    weight = 3

    def on_start(self):
        self.username, self.clients = next(_clinicians)
        self.sessions_logged = 0
        self.log_in(self.username)

    @task(1)
    def home(self):
        self.client.get("/", name="home")

    @task(1)
    def caseload(self):
        self.client.get("/clients/", name="caseload")

    @task(2)
    def client_page(self):
        self.client.get(f"/clients/{random.choice(self.clients)}/", name="client page")

    @task(2)
    def log_session(self):
        client = self.clients[self.sessions_logged % len(self.clients)]
        day = date.today() - timedelta(days=1 + self.sessions_logged // len(self.clients))
        self.sessions_logged += 1
        form = self.client.get(f"/sessions/new/?client={client}", name="session form")
        token = TOKEN.search(form.text).group(1)
        data = {
            "csrfmiddlewaretoken": token,
            "client": client,
            "date": day.isoformat(),
            "setting": "phone",
            **{f"score_{key}": str(random.randint(1, 5)) for key in FACTOR_KEYS},
        }
        with self.client.post(
            "/sessions/new/", data, name="log session", catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 302:
                response.failure(f"session not saved: {response.status_code}")


class Supervisor(LoggedIn):
    weight = 1

    def on_start(self):
        self.username, self.clients, codes = next(_supervisors)
        self.log_in(self.username, codes)

    @task(3)
    def dashboard(self):
        self.client.get("/team/", name="team dashboard")

    @task(1)
    def filtered(self):
        self.client.get("/team/?kind=rupture&sort=last", name="team dashboard (filtered)")

    @task(1)
    def client_page(self):
        self.client.get(f"/clients/{random.choice(self.clients)}/", name="client page (supervisor)")
