"""ui.figure keeps a built figure per input: the same inputs give the same figure, any change a new one."""
import json

from streamlit.testing.v1 import AppTest


def _script():
    import pandas as pd
    import plotly.io as pio
    import streamlit as st

    from sti import charts, ui

    look = charts.Look(names={"AAA": "Aland"}, colours={"AAA": "#0072B2"})
    data = pd.DataFrame({"country": ["AAA", "AAA"], "year": [2000, 2001], "value": [1.0, 2.0]})
    first = ui.figure(charts.line_chart, data, "T", "u", look, 2000, 2001)
    variants = {
        "equal frame": ui.figure(charts.line_chart, data.copy(), "T", "u", look, 2000, 2001),
        "equal look": ui.figure(charts.line_chart, data, "T", "u", charts.Look(dict(look.names), dict(look.colours)),
                                2000, 2001),
        "other value": ui.figure(charts.line_chart, data.assign(value=[1.0, 3.0]), "T", "u", look, 2000, 2001),
        "other colour": ui.figure(charts.line_chart, data, "T", "u", charts.Look(look.names, {"AAA": "#000000"}),
                                  2000, 2001),
        "other keyword": ui.figure(charts.line_chart, data, "T", "u", look, 2000, 2001, log=True),
    }

    def one(title):
        return charts.line_chart(data, title, "u", look, 2000, 2001)

    def other(title):  # same arguments, another builder: the name is part of the key
        return charts.line_chart(data, title, "u", look, 2000, 2001, log=True)

    variants["other builder"] = ui.figure(other, "T") is ui.figure(one, "T")
    st.session_state["same"] = {name: fig if isinstance(fig, bool) else fig is first for name, fig in variants.items()}
    st.session_state["json"] = pio.to_json(first, validate=False)
    st.session_state["built"] = pio.to_json(charts.line_chart(data, "T", "u", look, 2000, 2001), validate=False)
    st.plotly_chart(first)  # drawing it must leave the kept figure as it was
    st.session_state["after"] = pio.to_json(first, validate=False)


def test_equal_inputs_share_one_figure_and_any_change_builds_another():
    at = AppTest.from_function(_script, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.session_state["same"] == {"equal frame": True, "equal look": True, "other value": False,
                                        "other colour": False, "other keyword": False, "other builder": False}
    assert json.loads(at.session_state["json"]) == json.loads(at.session_state["built"])
    assert at.session_state["after"] == at.session_state["json"]
