"""The demo company generator: a synthetic B2B SaaS vendor's CRM and go-to-market exports.

``generate_company(out_dir, scale, seed)`` writes Salesforce and HubSpot exports, billing,
support, product-usage and onboarding files (with mapping files), and the ground truth of every
planted defect, deterministically for a scale and seed.
"""

from revframe.demo.config import SCALES, Scale
from revframe.demo.generator import DemoFiles, DemoLoad, generate_company

__all__ = ["SCALES", "DemoFiles", "DemoLoad", "Scale", "generate_company"]
