"""Job titles: business functions, seniority levels with title patterns, and function-specific
individual-contributor titles.
"""

from __future__ import annotations

#: (function, weight, c-level title, short function label, long function label)
FUNCTIONS: list[tuple[str, float, str, str, str]] = [
    ("marketing", 0.2, "CMO", "Marketing", "Marketing"),
    ("sales", 0.18, "CRO", "Sales", "Sales"),
    ("sales_ops", 0.1, "CRO", "Sales Ops", "Sales Operations"),
    ("revops", 0.1, "CRO", "RevOps", "Revenue Operations"),
    ("finance", 0.08, "CFO", "Finance", "Finance"),
    ("data", 0.12, "CDO", "Data", "Data & Analytics"),
    ("it", 0.08, "CIO", "IT", "Information Technology"),
    ("cs", 0.07, "COO", "Customer Success", "Customer Success"),
    ("ops", 0.07, "COO", "Operations", "Operations"),
]

#: seniority -> (weight, title patterns). {f} short function, {F} long function, {c} c-level title.
SENIORITIES: dict[str, tuple[float, list[str]]] = {
    "c_level": (0.04, ["{c}", "Chief {F} Officer"]),
    "vp": (0.08, ["VP {f}", "VP of {F}", "Vice President, {F}", "SVP {f}"]),
    "head": (0.07, ["Head of {f}", "Head of {F}"]),
    "director": (0.16, ["Director of {f}", "{F} Director", "Sr. Director, {F}", "Director, {f}"]),
    "manager": (0.25, ["{f} Manager", "Senior {f} Manager", "Manager, {F}", "{F} Lead"]),
    "ic": (0.4, ["{f} Analyst", "Senior {f} Analyst", "{f} Specialist", "{F} Associate", "{f} Coordinator"]),
}

#: Function-specific individual-contributor titles that read better than the pattern.
IC_TITLES: dict[str, list[str]] = {
    "data": ["Data Analyst", "Senior Data Analyst", "Data Engineer", "Analytics Engineer", "BI Developer"],
    "it": ["Systems Administrator", "Salesforce Administrator", "IT Business Partner", "Solutions Architect"],
    "sales": ["Account Executive", "Sales Development Representative", "Senior Account Executive"],
    "marketing": [
        "Marketing Operations Manager",
        "Demand Generation Manager",
        "Content Marketing Manager",
        "Marketing Analyst",
        "Growth Marketer",
    ],
    "revops": ["RevOps Analyst", "Revenue Operations Analyst", "GTM Systems Analyst"],
    "finance": ["Financial Analyst", "FP&A Manager", "Controller"],
}
