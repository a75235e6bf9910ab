from datetime import date, timedelta

from portal.extensions import db
from portal.models import Notification
from portal.services import reminders
from tests.support import factories

TODAY = date(2026, 3, 2)


def test_smoke(app, org):
    factories.credential(org.employee, org.bls, expires_on=TODAY + timedelta(days=30))
    db.session.commit()
    dry = reminders.scan(TODAY, dry_run=True)
    print(dry.planned)
    result = reminders.run_daily(TODAY)
    print(result.as_dict())
    for n in db.session.scalars(db.select(Notification)):
        print(n.unique_key, n.state, n.subject, n.last_error)
    again = reminders.scan(TODAY)
    assert again.total == 0
