"""Demo step: Northgate Health & Facilities — ~150 people, three levels deep.

Chief Operating Officer -> department directors -> team leads -> staff, in
six departments whose work needs real credentials: nursing, facilities and
electrical, IT security and cloud, the project office, food services and UK
site services. HR and compliance sit beside them.
"""
from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.models import Assignment, Department, JobRole, Person, Project, Requirement, User
from portal.demo import DEMO_PASSWORD

FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
         "Richard Susan Joseph Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony "
         "Betty Mark Sandra Aisha Ashley Kwame Emily Hiroshi Donna Wei Michelle Luis Amara Mateo "
         "Fatima Omar Ingrid Raj Chloe Diego Sofia Tomasz Grace Ethan Zoe Noah Hannah Liam Olivia "
         "Arjun Mei Ibrahim Elena Kenji Nadia Samuel Leah Victor Rosa").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
        "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
        "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
        "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Okafor Nakamura "
        "Kowalski Patel Chen Singh Haddad Novak Schmidt Rossi Dubois Kim Murphy O'Brien").split()

# job role code: (name, required credential type codes)
JOB_ROLES = {
    "RN": ("Registered Nurse", ["NY-RN", "AHA-BLS", "AHA-ACLS"]),
    "CHARGE-RN": ("Charge Nurse", ["NY-RN", "AHA-BLS", "AHA-ACLS", "AHA-PALS"]),
    "LPN": ("Licensed Practical Nurse", ["NY-LPN", "AHA-BLS"]),
    "NURSE-LEAD": ("Nurse Manager", ["NY-RN", "AHA-BLS"]),
    "ELEC-J": ("Journeyman Electrician", ["TX-JOURNEYMAN-ELEC", "OSHA-10-CON"]),
    "ELEC-M": ("Master Electrician", ["TX-MASTER-ELEC", "OSHA-30-CON"]),
    "CRANE": ("Crane Operator", ["NCCCO-MOBILE", "DOT-MEC", "OSHA-10-CON"]),
    "FAC-LEAD": ("Facilities Supervisor", ["OSHA-30-CON", "ARC-FACPRAED"]),
    "SEC-ANALYST": ("Security Analyst", ["COMPTIA-SECPLUS", "COMPTIA-CYSA"]),
    "SEC-ENG": ("Security Engineer", ["ISC2-CISSP", "COMPTIA-SECPLUS"]),
    "CLOUD-ENG": ("Cloud Engineer", ["AWS-SAA", "MS-AZ104"]),
    "NET-ENG": ("Network Engineer", ["CISCO-CCNA", "COMPTIA-NETPLUS"]),
    "IT-LEAD": ("IT Team Lead", ["ISC2-CISSP"]),
    "PM": ("Project Manager", ["PMI-PMP"]),
    "PC": ("Project Coordinator", ["PMI-CAPM"]),
    "KITCHEN-MGR": ("Kitchen Manager", ["SERVSAFE-FPM", "ARC-FACPRAED"]),
    "COOK": ("Cook", ["SERVSAFE-FH"]),
    "UK-SUPERVISOR": ("Site Supervisor (UK)", ["CSCS-SUPERVISOR", "NEBOSH-NGC", "SJA-FAW"]),
    "UK-OPERATIVE": ("Site Operative (UK)", ["CSCS-SKILLED", "SJA-EFAW"]),
    "UK-NURSE": ("Occupational Health Nurse (UK)", ["NMC-RN"]),
    "HR": ("HR Specialist", []),
    "COMPLIANCE": ("Compliance Officer", []),
    "EXEC": ("Executive", []),
    "ADMIN": ("Systems Administrator", ["COMPTIA-SECPLUS"]),
}

# department: (director role, [(team lead role, [(staff role, count), ...]), ...])
DEPARTMENTS = {
    "Nursing": ("NURSE-LEAD", [
        ("CHARGE-RN", [("RN", 14), ("LPN", 4)]),
        ("CHARGE-RN", [("RN", 11), ("LPN", 3)]),
        ("NURSE-LEAD", [("RN", 6), ("CHARGE-RN", 2)]),
    ]),
    "Facilities & Electrical": ("FAC-LEAD", [
        ("ELEC-M", [("ELEC-J", 10), ("CRANE", 3)]),
        ("FAC-LEAD", [("ELEC-J", 8), ("CRANE", 3)]),
    ]),
    "IT & Security": ("IT-LEAD", [
        ("IT-LEAD", [("SEC-ANALYST", 6), ("SEC-ENG", 3)]),
        ("IT-LEAD", [("CLOUD-ENG", 6), ("NET-ENG", 4)]),
    ]),
    "Project Office": ("PM", [("PM", [("PM", 5), ("PC", 4)])]),
    "Food Services": ("KITCHEN-MGR", [("KITCHEN-MGR", [("COOK", 11)]), ("KITCHEN-MGR", [("COOK", 6)])]),
    "UK Site Services": ("UK-SUPERVISOR", [
        ("UK-SUPERVISOR", [("UK-OPERATIVE", 12), ("UK-NURSE", 2)]),
    ]),
}

# (code, name, client, start offset days, end offset days, requirements [(type, lead days)])
PROJECTS = (
    ("STMARY-ICU", "St. Mary's ICU staffing", "St. Mary's Hospital", -200, 240,
     [("AHA-ACLS", 60), ("AHA-PALS", 60)], "Nursing"),
    ("RIVERSIDE-DC", "Riverside data centre build-out", "Riverside Cloud LLC", -90, 180,
     [("OSHA-30-CON", 30), ("TX-JOURNEYMAN-ELEC", 30)], "Facilities & Electrical"),
    ("STATE-HIX", "State health exchange cloud migration", "State Health Department", -60, 300,
     [("AWS-SAA", 45), ("COMPTIA-SECPLUS", 45)], "IT & Security"),
    ("CENTRAL-KITCHEN", "Central kitchen catering contract", "Metro School District", -30, 365,
     [("SERVSAFE-FPM", 30)], "Food Services"),
)


def _person(ctx, department, role_code, manager, email=None, names=None) -> Person:
    rng = ctx.rng
    first, last = names or (rng.choice(FIRST), rng.choice(LAST))
    number = len(ctx.made["people"]) + 1
    email = email or f"{first}.{last}.{number}".lower().replace("'", "") + "@northgate.example"
    person = Person(
        employee_id=f"E{10000 + number}",
        first_name=first,
        last_name=last,
        email=email,
        job_role=ctx.made["roles"][role_code],
        department=department,
        manager=manager,
        location="Manchester, UK" if department and department.name.startswith("UK") else
        rng.choice(["New York, NY", "Albany, NY", "Austin, TX", "Houston, TX"]),
        hired_on=ctx.today - timedelta(days=rng.randint(90, 4000)),
    )
    db.session.add(person)
    ctx.made["people"].append(person)
    return person


def _user(ctx, email, roles, person) -> None:
    user = User(email=email, person=person)
    user.roles = roles
    # Hashing is the slow part of seeding; one hash shared by the demo accounts.
    if "demo_hash" not in ctx.made:
        user.set_password(DEMO_PASSWORD)
        ctx.made["demo_hash"] = user.password_hash
    user.password_hash = ctx.made["demo_hash"]
    db.session.add(user)


def seed(ctx) -> None:
    ctx.made["people"] = []
    ctx.made["roles"] = {code: JobRole(code=code, name=name) for code, (name, _) in JOB_ROLES.items()}
    db.session.add_all(ctx.made["roles"].values())
    departments = {name: Department(name=name) for name in [*DEPARTMENTS, "Human Resources", "Compliance"]}
    db.session.add_all(departments.values())

    coo = _person(ctx, None, "EXEC", None, names=("Dana", "Whitfield"))
    directors = {}
    for dept_name, (director_role, teams) in DEPARTMENTS.items():
        dept = departments[dept_name]
        names = ("Maria", "Okafor") if dept_name == "Nursing" else None
        email = "manager@credwatch.demo" if dept_name == "Nursing" else None
        director = _person(ctx, dept, director_role, coo, email=email, names=names)
        directors[dept_name] = director
        for team_index, (lead_role, staff) in enumerate(teams):
            lead = _person(ctx, dept, lead_role, director)
            for staff_role, count in staff:
                for i in range(count):
                    if dept_name == "Nursing" and team_index == 0 and staff_role == "RN" and i == 0:
                        _person(ctx, dept, "RN", lead, email="employee@credwatch.demo",
                                names=("Sam", "Rivera"))
                    else:
                        _person(ctx, dept, staff_role, lead)
    hr_lead = _person(ctx, departments["Human Resources"], "HR", coo, names=("Priya", "Shah"),
                      email="reviewer@credwatch.demo")
    for _ in range(3):
        _person(ctx, departments["Human Resources"], "HR", hr_lead)
    compliance = _person(ctx, departments["Compliance"], "COMPLIANCE", coo, names=("Jordan", "Lee"),
                         email="compliance@credwatch.demo")
    _person(ctx, departments["Compliance"], "COMPLIANCE", compliance)
    admin = _person(ctx, departments["IT & Security"], "ADMIN", directors["IT & Security"],
                    names=("Alex", "Morgan"), email="admin@credwatch.demo")
    db.session.flush()

    by_email = {p.email: p for p in ctx.made["people"]}
    _user(ctx, "employee@credwatch.demo", ["employee"], by_email["employee@credwatch.demo"])
    _user(ctx, "reviewer@credwatch.demo", ["employee", "reviewer"], hr_lead)
    _user(ctx, "manager@credwatch.demo", ["employee", "manager"], by_email["manager@credwatch.demo"])
    _user(ctx, "admin@credwatch.demo", ["employee", "admin"], admin)
    _user(ctx, "compliance@credwatch.demo", ["employee", "compliance"], compliance)
    # Every other director and team lead can sign in as a manager too.
    for person in ctx.made["people"]:
        if person.email.endswith("@northgate.example") and any(
            p.manager is person for p in ctx.made["people"]
        ):
            _user(ctx, person.email, ["employee", "manager"], person)

    types = ctx.made["types"]
    for code, (_, required) in JOB_ROLES.items():
        for type_code in required:
            db.session.add(Requirement(credential_type=types[type_code], job_role=ctx.made["roles"][code]))

    ctx.made["projects"] = []
    for code, name, client, start, end, requirements, dept_name in PROJECTS:
        project = Project(code=code, name=name, client=client,
                          starts_on=ctx.today + timedelta(days=start),
                          ends_on=ctx.today + timedelta(days=end))
        db.session.add(project)
        ctx.made["projects"].append(project)
        for type_code, lead in requirements:
            db.session.add(Requirement(credential_type=types[type_code], project=project, lead_days=lead))
        staff = [p for p in ctx.made["people"] if p.department is departments[dept_name]]
        for person in ctx.rng.sample(staff, min(len(staff), 10)):
            db.session.add(Assignment(
                project=project, person=person,
                starts_on=project.starts_on + timedelta(days=ctx.rng.randint(0, 30)),
                ends_on=project.ends_on,
            ))
    # Sam Rivera works the St. Mary's contract, so the employee page shows project needs.
    sam = by_email["employee@credwatch.demo"]
    first_project = ctx.made["projects"][0]
    if not any(a.person is sam for a in first_project.assignments):
        db.session.add(Assignment(project=first_project, person=sam,
                                  starts_on=first_project.starts_on, ends_on=first_project.ends_on))
