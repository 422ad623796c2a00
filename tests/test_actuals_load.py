"""Loading CRM exports: headers and values read strictly, every row accounted for with its file
and line, loads that never count a file twice, and split credit exact to the cent."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from aop_xl import PlanError, load_plan, plan_from_dict
from aop_xl.cycle.actuals import LINE_COLUMNS, engine_deals, load_actuals
from aop_xl.cycle.crm import CrmError, Mapping, header_key, load_mapping

from tests_helpers import sample_dict

PLAN = load_plan()
HEAD = "Deal ID,Close Date,Sales Rep,Account Name,Product,Amount,Type,Region\n"


def csv(tmp_path, name: str, text: str, head: str = HEAD):
    path = tmp_path / name
    path.write_text(head + text, encoding="utf-8")
    return path


def load(paths, plan=PLAN, existing=None, **kw):
    return load_actuals([str(p) for p in paths], plan, existing, **kw)


def test_common_headers_are_recognised_and_values_parsed(tmp_path):
    path = csv(tmp_path, "crm.csv", 'D1,2027-02-03,An Nguyen,Acme Ltd,Widgets Pro,"1,234.50",New Business,\n'
                                    "D2,2026-11-30 14:05,Bao Tran,Acme Ltd,Service Plans,-200,renewal,East\n",
               head="Opportunity ID,Close Date,Opportunity Owner,Account Name,Product Name,Amount,Type,Territory\n")
    res = load([path])
    lines = res.lines
    assert list(lines.columns) == list(LINE_COLUMNS)
    assert lines["amount"].tolist() == [123450, -20000]  # cents, exact
    assert lines[["fy", "period", "region", "type", "order"]].values.tolist() == [
        [0, 2, "East", "new", 1], [-1, 11, "East", "recurring", 0]]
    assert lines["source"].tolist() == ["crm.csv:2", "crm.csv:3"]
    assert res.as_of == 2 and res.report.problems == []


def test_every_bad_row_is_named_with_its_line_and_field(tmp_path):
    path = csv(tmp_path, "crm.csv",
               'D1,2027-01-05,An Nguyen,A,Widgets Pro,"1.234,56",,\n'
               "D2,05/01/2027,An Nguyen,A,Widgets Pro,10,,\n"
               "D3,2027-01-05,Jon Smith,A,Widgets Pro,10,,\n"
               "D4,2027-01-05,An Nguyen,A,Gizmo,10,Partner,Nort\n"
               "D5,2027-01-05,An Nguyen,,Widgets Pro,12.345,,\n"
               "D6,2027-01-05,an nguyen,A,WIDGETS PRO,10,,\n")
    res = load([path])
    assert res.report.problems == [
        'crm.csv line 2: amount: "1.234,56" is not an amount as 1234.56 or 1,234.56 with at most 2 decimal places',
        'crm.csv line 3: date: "05/01/2027" is not a date as YYYY-MM-DD (give [dates] format in a mapping file for '
        "other forms)",
        'crm.csv line 4: rep: "Jon Smith" is not a rep of the plan',
        'crm.csv line 5: type: "Partner" is neither new nor recurring (list it under [values] new or recurring in a '
        'mapping file); product: "Gizmo" is not a product of the plan; region: "Nort" is not a region of the plan',
        'crm.csv line 6: customer: blank; amount: "12.345" is not an amount as 1234.56 or 1,234.56 with at most 2 '
        "decimal places",
    ]
    # The name compared as the plan compares names: case aside, the plan's spelling is kept.
    assert res.lines[["rep", "product"]].values.tolist() == [["An Nguyen", "Widgets Pro"]]
    r = res.report
    assert (r.rows, r.loaded.rows, r.unmappable.rows) == (6, 1, 5)
    assert r.unmappable.units == 1000 + 1000 + 1000  # amounts read on the unmappable rows
    assert r.unmappable_units_unknown == 2  # "1.234,56" and "12.345"
    assert "unmappable (listed below with file and line): 5 rows, 30.00 USD (and 2 without a readable amount)" in \
        "\n".join(r.summary())


def test_a_file_that_cannot_be_read_does_not_stop_the_others(tmp_path):
    good = csv(tmp_path, "good.csv", "D1,2027-01-05,An Nguyen,A,Widgets Pro,10,,\n")
    headless = csv(tmp_path, "bad.csv", "2027-01-05,An Nguyen\n", head="When,Who\n")
    (tmp_path / "latin1.csv").write_bytes(HEAD.encode() + "D9,2027-01-05,An Nguyen,Café,Widgets Pro,1,,\n"
                                          .encode("latin-1"))
    res = load([headless, tmp_path / "missing.csv", tmp_path / "latin1.csv", good])
    assert res.report.file_problems == [
        'bad.csv: no column for date (looked for "date", "close date", "closed date", "won date" ...; name it in a '
        'mapping file: [columns] date = "<header>")',
        'bad.csv: no column for product (looked for "product", "product name", "product line", "product family" ...; '
        'name it in a mapping file: [columns] product = "<header>")',
        'bad.csv: no column for rep (looked for "rep", "sales rep", "rep name", "salesperson" ...; name it in a '
        'mapping file: [columns] rep = "<header>")',
        'bad.csv: no column for customer (looked for "customer", "customer name", "account", "account name" ...; '
        'name it in a mapping file: [columns] customer = "<header>")',
        'bad.csv: no column for amount (looked for "amount", "net amount", "deal value", "value" ...; name it in a '
        'mapping file: [columns] amount = "<header>")',
        "missing.csv: no such file",
        "latin1.csv: not UTF-8 text (byte 97); save the export as CSV UTF-8",
    ]
    assert res.report.loaded.rows == 1 and res.report.failed


def test_loading_the_same_file_twice_counts_it_once(tmp_path):
    text = ("D1,2027-01-05,An Nguyen,A,Widgets Pro,10,,\n"
            ",2027-01-06,Bao Tran,B,Widgets Pro,20,,\n"
            ",2027-01-06,Bao Tran,B,Widgets Pro,20,,\n")  # two equal rows without an id: two deals
    first = load([csv(tmp_path, "jan.csv", text)])
    assert len(first.lines) == 3
    again = load([csv(tmp_path, "jan-again.csv", text)], existing=first.lines, previous_as_of=1)
    assert len(again.lines) == 3 and again.report.already.rows == 3 and again.report.loaded.rows == 0
    assert again.lines["key"].tolist() == first.lines["key"].tolist()
    # Overlapping exports: January again with February; a deal changed since.
    more = ("D1,2027-01-05,An Nguyen,A,Widgets Pro,15,,\n" + text.split("\n", 1)[1]
            + "D7,2027-02-01,An Nguyen,A,Widgets Pro,5,,\n")
    third = load([csv(tmp_path, "jan-feb.csv", more)], existing=again.lines, previous_as_of=1)
    r = third.report
    assert (r.loaded.rows, r.updated.rows, r.already.rows) == (1, 1, 2)
    assert r.updated.units == 500  # D1 went from 10 to 15
    assert sorted(third.lines["amount"].tolist()) == [500, 1500, 2000, 2000] and third.as_of == 2
    # The same deal in two files of one load: the later file counts.
    fourth = load([csv(tmp_path, "a.csv", "D9,2027-02-02,An Nguyen,A,Widgets Pro,1,,\n"),
                   csv(tmp_path, "b.csv", "D9,2027-02-02,An Nguyen,A,Widgets Pro,2,,\n")], existing=third.lines)
    assert fourth.lines.loc[fourth.lines["deal"] == "D9", "amount"].tolist() == [200]
    assert (fourth.report.repeated.rows, fourth.report.loaded.rows) == (1, 1)


def test_split_credit_is_exact_to_the_cent(tmp_path):
    head = "Deal ID,Close Date,Split Owner,Account Name,Product,Amount,Split %\n"
    text = ("S1,2027-03-01,An Nguyen,A,Widgets Pro,1000.01,60\n"
            "S1,2027-03-01,Bao Tran,A,Widgets Pro,1000.01,40\n"
            "S2,2027-03-02,An Nguyen,B,Widgets Pro,100.00,33.33\n"
            "S2,2027-03-02,Bao Tran,B,Widgets Pro,100.00,33.33\n"
            "S2,2027-03-02,Chloe Martin,B,Widgets Pro,100.00,33.34\n"
            "S3,2027-03-03,An Nguyen,C,Widgets Pro,0.01,50\n"
            "S3,2027-03-03,Bao Tran,C,Widgets Pro,0.01,50\n")
    lines = load([csv(tmp_path, "splits.csv", text, head)]).lines
    credit = lines.groupby("deal")["amount"].apply(list).to_dict()
    # 600.006 and 400.004: the cent left over goes to the larger remainder.
    assert credit["S1"] == [60001, 40000]
    assert credit["S2"] == [3333, 3333, 3334]
    assert credit["S3"] == [1, 0]  # a tie: the earlier line
    # One order per deal: its first line.
    assert lines["order"].tolist() == [1, 0, 1, 0, 0, 1, 0]


def test_bad_splits_are_refused_with_all_their_lines(tmp_path):
    head = "Deal ID,Close Date,Sales Rep,Account Name,Product,Amount,Share\n"
    text = ("S1,2027-03-01,An Nguyen,A,Widgets Pro,100,60%\n"
            "S1,2027-03-01,Bao Tran,A,Widgets Pro,100,30%\n"
            "S2,2027-03-01,An Nguyen,A,Widgets Pro,100,50%\n"
            "S2,2027-03-01,Bao Tran,A,Widgets Pro,90,50%\n"
            "S3,2027-03-01,An Nguyen,A,Widgets Pro,100,50%\n"
            "S3,2027-03-01,Jon,A,Widgets Pro,100,50%\n"
            ",2027-03-01,An Nguyen,A,Widgets Pro,100,50%\n"
            "S4,2027-03-01,An Nguyen,A,Widgets Pro,100,150%\n")
    res = load([csv(tmp_path, "s.csv", text, head)])
    assert res.report.problems == [
        's.csv line 2: share: the shares of deal "S1" (lines 2, 3) add up to 90.0000%, '
        "not 100%",
        's.csv line 3: share: the shares of deal "S1" (lines 2, 3) add up to 90.0000%, not 100%',
        's.csv line 4: amount: the lines of deal "S2" (lines 4, 5) give different amounts; each line of a split deal '
        "gives the deal's whole amount",
        's.csv line 5: amount: the lines of deal "S2" (lines 4, 5) give different amounts; each line of a split deal '
        "gives the deal's whole amount",
        's.csv line 6: deal "S3": its line 7 cannot be loaded, so neither can its other lines',
        's.csv line 7: rep: "Jon" is not a rep of the plan',
        "s.csv line 8: share: 0.5 of the deal needs a deal id to find the deal's other lines",
        's.csv line 9: share: "150%" is not a share above 0 and up to 100%',
    ]
    assert len(res.lines) == 0


def test_reps_in_the_year_their_months_and_regions(tmp_path):
    data = sample_dict()
    data["reps"][0].update(start="2027-04", moves=[{"month": "2027-07", "region": "West"}])
    plan = plan_from_dict(data)
    head = "Close Date,Sales Rep,Account Name,Product,Amount\n"
    text = ("2027-03-31,An Nguyen,A,Widgets Pro,10\n"
            "2027-04-01,An Nguyen,A,Widgets Pro,10\n"
            "2027-07-15,An Nguyen,A,Widgets Pro,10\n"
            "2026-06-15,An Nguyen,A,Widgets Pro,10\n"
            "2026-06-15,Someone Who Left,A,Widgets Pro,10\n")
    res = load([csv(tmp_path, "r.csv", text, head)], plan)
    assert res.report.problems == [
        'r.csv line 2: rep: "An Nguyen" does not cover 2027-03 (starts 2027-04)',
        'r.csv line 6: region: blank, and the rep "Someone Who Left" is not in the plan to take the region from',
    ]
    # A blank region is the rep's that month; the year before, the rep's plan region.
    assert res.lines[["fy", "period", "region"]].values.tolist() == [[0, 4, "East"], [0, 7, "West"],
                                                                     [-1, 6, "East"]]


def test_as_of_windows_and_the_years_kept(tmp_path):
    text = ("D1,2027-01-05,An Nguyen,A,Widgets Pro,10,,\n"
            "D2,2027-05-05,An Nguyen,A,Widgets Pro,20,,\n"
            "D3,2025-12-31,An Nguyen,A,Widgets Pro,40,,\n"
            "D4,2028-01-01,An Nguyen,A,Widgets Pro,80,,\n")
    res = load([csv(tmp_path, "w.csv", text)], as_of=3)
    r = res.report
    assert (r.loaded.rows, r.after.rows, r.after.units, r.outside.rows, r.outside.units) == (1, 1, 2000, 2, 12000)
    assert "after the as-of month 2027-03 (not loaded yet): 1 row, 20.00 USD" in "\n".join(r.summary())
    assert "outside the fiscal years kept (2026-01 to 2027-12): 2 rows, 120.00 USD" in "\n".join(r.summary())
    only_prior = load([csv(tmp_path, "py.csv", "D1,2026-01-05,An Nguyen,A,Widgets Pro,10,,\n"
                                               "D2,2026-01-05,Nobody,A,Gizmo,10,,\n")])
    assert only_prior.report.stopped == (
        "no actuals of the fiscal year 2027 (2027-01 to 2027-12) to tell the as-of month from; give it (as-of "
        "YYYY-MM); nothing was loaded")
    assert only_prior.report.failed and only_prior.report.file_problems == []
    assert only_prior.report.problems == ['py.csv line 3: product: "Gizmo" is not a product of the plan; region: '
                                          'blank, and the rep "Nobody" is not in the plan to take the region from']
    assert len(only_prior.lines) == 0 and only_prior.report.loaded.rows == 0


def test_type_is_derived_from_the_customers_first_purchase(tmp_path):
    head = "Close Date,Sales Rep,Account Name,Product,Amount\n"
    text = ("2026-05-01,An Nguyen,Old Co,Widgets Pro,10\n"
            "2027-01-03,An Nguyen,Old Co,Widgets Pro,10\n"
            "2027-01-02,An Nguyen,New Co,Widgets Pro,-5\n"
            "2027-01-03,An Nguyen,New Co,Widgets Pro,10\n"
            "2027-01-04,An Nguyen,New Co,Widgets Pro,10\n")
    lines = load([csv(tmp_path, "t.csv", text, head)]).lines
    assert lines["type"].tolist() == ["new", "recurring", "new", "new", "recurring"]


def test_xlsx_semicolons_and_line_breaks_in_cells(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Close Date", "Sales Rep", "Account", "Product", "Amount", "Deal ID"])
    ws.append([dt.datetime(2027, 2, 1), "An Nguyen", "A", "Widgets Pro", 1234.5, 1001])
    ws.append([None, None, None, None, None, None])
    ws.append(["2027-02-02", "Bao Tran", "B", "Widgets Pro", "12.3456", 1002])
    wb.save(tmp_path / "crm.xlsx")
    res = load([tmp_path / "crm.xlsx"])
    assert res.lines[["deal", "amount"]].values.tolist() == [["1001", 123450]]
    assert res.report.problems == ['crm.xlsx row 4: amount: "12.3456" is not an amount as 1234.56 or 1,234.56 with '
                                   "at most 2 decimal places"]
    semi = tmp_path / "eu.csv"
    semi.write_text('Close Date;Sales Rep;Account;Product;Amount\n2027-02-01;An Nguyen;"A;\nB";Widgets Pro;5\n'
                    "2027-02-01;Nobody;A;Widgets Pro;5\n", encoding="utf-8")
    res = load([semi])
    assert res.lines["customer"].tolist() == ["A; B"]  # whitespace in a name is one space
    assert res.report.problems == ['eu.csv line 4: rep: "Nobody" is not a rep of the plan']


def test_a_mapping_names_headers_values_and_date_formats(tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\ndate = "Fecha"\namount = "Importe (EUR)"\nrep = "Vendedor"\n'
                       '[values]\nnew = ["Nuevo"]\nrecurring = ["Renovación"]\n[dates]\nformat = "%d/%m/%Y"\n',
                       encoding="utf-8")
    head = "Fecha,Vendedor,Cliente,Product,Importe (EUR),Tipo\n"
    path = csv(tmp_path, "es.csv", "05/02/2027,An Nguyen,X,Widgets Pro,10,Nuevo\n"
                                   "06/02/2027,An Nguyen,X,Widgets Pro,10,renovación\n", head)
    res = load([path], mapping=load_mapping(mapping))
    assert res.report.errors() == [
        'es.csv: no column for customer (looked for "customer", "customer name", "account", "account name" ...; '
        'name it in a mapping file: [columns] customer = "<header>")',
        "no actuals of the fiscal year 2027 (2027-01 to 2027-12) to tell the as-of month from; give it (as-of "
        "YYYY-MM); nothing was loaded"]
    mapping.write_text(mapping.read_text(encoding="utf-8").replace('rep = "Vendedor"\n',
                                                                   'rep = "Vendedor"\ncustomer = "Cliente"\n'
                                                                   'type = "Tipo"\n'), encoding="utf-8")
    res = load([path], mapping=load_mapping(mapping))
    assert res.lines[["period", "type"]].values.tolist() == [[2, "new"], [2, "recurring"]]
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\namout = "X"\n[values]\nnew = "A"\nrecurring = ["a"]\n[colour]\n', encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_mapping(bad)
    assert err.value.problems == [
        "bad.toml: columns.amout: unknown key (keys: date, region, product, rep, customer, amount, type, returned, "
        "deal, share, created, complaint, nps)",
        "bad.toml: colour: unknown table (tables: columns, values, dates, file, shares)",
        'bad.toml: values.recurring: "a" is also listed under values.new',
    ]
    with pytest.raises(CrmError, match="nope.toml: no such mapping file"):
        load_mapping(tmp_path / "nope.toml")
    missing = load([path], mapping=Mapping(columns={"date": "Datum"}))
    assert missing.report.file_problems[0] == ('es.csv: no column "Datum" (mapping columns.date); the columns are '
                                               '"Fecha", "Vendedor", "Cliente", "Product", "Importe (EUR)", "Tipo"')


def test_returns_created_dates_complaints_and_nps(tmp_path):
    head = "Close Date,Sales Rep,Account,Product,Amount,Returned,Created,Complaint,NPS\n"
    text = ("2027-01-10,An Nguyen,A,Widgets Pro,100,no,2026-12-01,yes,40\n"
            "2027-01-20,An Nguyen,A,Widgets Pro,30,yes,,,\n"
            "2027-01-21,An Nguyen,A,Widgets Pro,30,maybe,2027-02-01,sometimes,140\n")
    res = load([csv(tmp_path, "x.csv", text, head)])
    assert res.report.problems == [
        'x.csv line 4: created: 2027-02-01 is after the deal\'s date 2027-01-21; returned: "maybe" is not yes or '
        'no; complaint: "sometimes" is not yes or no; nps: "140" is not an NPS from -100 to 100']
    deals = engine_deals(res.lines, 2)
    assert deals["amount"].tolist() == [100.0, -30.0]
    assert deals["cycle_days"].tolist()[0] == 40 and np.isnan(deals["cycle_days"].tolist()[1])
    assert deals["complaint"].tolist()[0] == 1 and deals["nps"].tolist()[0] == 40


def test_header_keys():
    assert header_key("Split %") == "split%" and header_key("Close_Date") == header_key("close date")


def test_a_load_writes_the_same_bytes_for_the_same_inputs(tmp_path):
    from aop_xl.cycle.inyear import load_into
    from aop_xl.workbook.build import build_workbook

    crm = csv(tmp_path, "crm.csv", "D1,2027-01-05,An Nguyen,A,Widgets Pro,10,,\n")
    a = build_workbook(PLAN, tmp_path / "a.xlsx")
    b = build_workbook(PLAN, tmp_path / "b.xlsx")
    load_into(a, [crm])
    load_into(b, [crm])
    assert a.read_bytes() == b.read_bytes()
