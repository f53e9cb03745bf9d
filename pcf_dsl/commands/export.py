"""`pcf export --to pact FILE`: the footprint as a PACT ProductFootprint (v3, or v2.3 with --pact-version)."""

from __future__ import annotations

from pathlib import Path

import click

from ..build import load
from ..compute import compute
from ..pact import PactOptions, product_footprint
from .common import (
    allow_outside_option,
    dumps,
    emit,
    model_argument,
    output_option,
    refuse_output_over_input,
    root_option,
)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, item = value.rpartition("=") if option == "--ef-source-version" else value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise click.BadParameter(f"`{value}` is not KEY=VALUE", param_hint=option)
        out[key.strip()] = item.strip()
    return out


@click.command("export")
@model_argument
@click.option("--to", "target", type=click.Choice(["pact"]), required=True, help="Exchange format.")
@click.option("--pact-version", type=click.Choice(["3", "2.3"]), default="3", show_default=True,
              help="PACT Technical Specifications version.")
@output_option()
@click.option("--id", "pf_id", default=None, metavar="UUID", help="Id of this footprint (a UUID). Required.")
@click.option("--created", default=None, metavar="DATETIME", help="When it was created, e.g. 2025-03-01T00:00:00Z. Required.")
@click.option("--status", type=click.Choice(["Active", "Deprecated"]), default=None, help="Required.")
@click.option("--company-name", default=None, help="Default: the study's producer.")
@click.option("--company-id", "company_ids", multiple=True, metavar="URN", help="Company URN. Required, repeatable.")
@click.option("--product-id", "product_ids", multiple=True, metavar="URN", help="Product URN. Required, repeatable.")
@click.option("--product-name", default=None, help="Trade name (default: the study's product).")
@click.option("--product-description", default=None, help="Default: the study's product.")
@click.option("--product-classification", "classifications", multiple=True, metavar="URN", help="Repeatable.")
@click.option("--product-category-cpc", default=None, help="UN CPC code (required for v2.3).")
@click.option("--pf-version", type=click.IntRange(0), default=None, help="Footprint version number (required for v2.3).")
@click.option("--preceding-id", "preceding_ids", multiple=True, metavar="UUID", help="Ids of earlier versions.")
@click.option("--validity-start", default=None, metavar="DATETIME")
@click.option("--validity-end", default=None, metavar="DATETIME")
@click.option("--comment", default=None, help="Default: the study's notes.")
@click.option("--spec-version", default=None, help="specVersion to state (default: 3.0.3, or 2.3.3).")
@click.option("--fossil-carbon-content", default=None, metavar="KG_C",
              help="Fossil carbon in the product, kg C per declared unit of the model. Required.")
@click.option("--biogenic-carbon-content", default=None, metavar="KG_C",
              help="Biogenic carbon in the product, kg C per declared unit (required for v2.3).")
@click.option("--product-mass", default=None, metavar="KG",
              help="Product mass per declared unit, when the declared unit is not a mass.")
@click.option("--packaging-included/--packaging-excluded", default=None,
              help="Whether packaging emissions are in the footprint (required for v2.3).")
@click.option("--packaging-group", default=None, metavar="GROUP",
              help="The model's group of packaging flows: its sum is packagingGhgEmissions.")
@click.option("--region", default=None, help='PACT region instead of the study\'s geography, e.g. "Eastern Asia".')
@click.option("--cross-sectoral-standard", "standards", multiple=True,
              help="PACT standard code (ISO14067, GHGP-Product, ...); default: from the study. Repeatable.")
@click.option("--ipcc", "ipcc", multiple=True, metavar="ARn", help="IPCC report of the GWP factors (default: the GWP set's).")
@click.option("--exempted-emissions-percent", default=None, metavar="PERCENT",
              help="Share of emissions cut off (default: from the cut-off estimates of the model).")
@click.option("--primary-data-share", default=None, metavar="PERCENT",
              help="Default: computed from the factor-quality levels of the model's lines.")
@click.option("--dqi", "dqi", multiple=True, metavar="KIND=VALUE",
              help="technological=, geographical=, temporal= data-quality ratings (v3). Repeat for each.")
@click.option("--ef-source-version", "ef_versions", multiple=True, metavar="SOURCE=VERSION",
              help="Version of an emission-factor source, by the source text of the model. Repeatable.")
@root_option
@allow_outside_option
def command(file: Path, target: str, pact_version: str, output: Path | None, pf_id, created, status, company_name,
            company_ids, product_ids, product_name, product_description, classifications, product_category_cpc,
            pf_version, preceding_ids, validity_start, validity_end, comment, spec_version, fossil_carbon_content,
            biogenic_carbon_content, product_mass, packaging_included, packaging_group, region, standards, ipcc,
            exempted_emissions_percent, primary_data_share, dqi, ef_versions, root, allow_outside_root: bool) -> None:
    """Export the footprint of FILE in an exchange format (PACT ProductFootprint JSON).

    What the model cannot supply (ids, URNs, status, dates, carbon contents) is
    given as options; a missing one is an error that names its option.
    """
    options = PactOptions(
        version=pact_version, id=pf_id, created=created, status=status, company_name=company_name,
        company_ids=list(company_ids), product_ids=list(product_ids), product_name=product_name,
        product_description=product_description, product_classifications=list(classifications),
        product_category_cpc=product_category_cpc, pf_version=pf_version, preceding_ids=list(preceding_ids),
        validity_start=validity_start, validity_end=validity_end, comment=comment, spec_version=spec_version,
        fossil_carbon_content=fossil_carbon_content, biogenic_carbon_content=biogenic_carbon_content,
        product_mass=product_mass, packaging_included=packaging_included, packaging_group=packaging_group,
        region=region, cross_sectoral_standards=list(standards), ipcc=list(ipcc),
        exempted_percent=exempted_emissions_percent, primary_data_share=primary_data_share,
        dqi=_pairs(dqi, "--dqi"), ef_versions=_pairs(ef_versions, "--ef-source-version"))
    model = load(file, root=root, allow_outside_root=allow_outside_root)
    refuse_output_over_input(output, file, model.files)
    document = product_footprint(model, compute(model), options)
    emit(dumps(document), output)
