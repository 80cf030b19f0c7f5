"""Urgency cues for a ticket's priority: impact raises to the most urgent label, pressure words only
when the model gives that label a fair chance, calming phrases cancel both."""

from __future__ import annotations

import pytest

from assistant.support.urgency import adjust, most_urgent, urgency


@pytest.mark.parametrize(
    "text",
    [
        "二号线停了，报工界面一直转圈",
        "司机在门口等着装车，出库单打不出来",
        "门店收不了钱，收银机一直提示网络错误",
        "全院的医生都登不上医生站",
        "Production down since 6am, MES not responding",
        "We cannot ship anything, the label printer service crashed",
        "trucks are waiting at dock 3 and the WMS won't release the wave",
    ],
)
def test_impact_makes_a_ticket_urgent(text: str) -> None:
    assert urgency(text).level == "urgent", urgency(text)


@pytest.mark.parametrize(
    "text", ["报表导出的列宽不对，急！", "请尽快帮忙看一下这个字段", "Please fix ASAP, the logo is blurry"]
)
def test_pressure_words_alone_are_pressing_not_urgent(text: str) -> None:
    assert urgency(text).level == "pressing"


@pytest.mark.parametrize(
    "text",
    [
        "急诊科的打印模板想加一个字段",  # a department, not a deadline
        "我挂了号但是想改科室，怎么操作",  # registered, not crashed
        "报表的标题字体能不能改大一点",
        "大家都不了解这个功能，有培训资料吗",
        "所有字段都不能为空吗？",
        "在线停留时长报表怎么导出",
        "隐私政策的链接在哪里修改",
        "报表任务一直在排队，什么时候能出来",
        "我已经打了3次电话问这个报表格式",
        "How do I export all users to Excel?",
        "Please move the total line down one row",
        "privacy settings page has a typo",
    ],
)
def test_words_that_only_look_urgent(text: str) -> None:
    assert urgency(text).level == "none", urgency(text)


def test_a_polite_report_of_an_outage_stays_urgent() -> None:
    assert urgency("文件名有空格，全线停产了").level == "urgent"  # 有空格 is not 有空
    assert urgency("Whenever I open the POS, production is down").level == "urgent"
    assert urgency("不急的话明天看也行，不过三号线停了").level == "urgent"


def test_calm_cancels_the_cues() -> None:
    assert urgency("不急，有空的时候帮忙看下：库存报表少一列").level == "calm"
    assert urgency("No rush - the export button label has a typo").level == "calm"


def test_adjust_raises_to_the_most_urgent_label_the_model_knows() -> None:
    probs = {"高": 0.1, "中": 0.3, "低": 0.6}
    assert most_urgent(list(probs)) == "高"
    assert most_urgent(["Major", "Blocker", "Minor"]) == "Blocker"
    assert most_urgent(["foo", "bar"]) is None
    assert adjust("低", probs, urgency("三号线停了")) == ("高", True)
    assert adjust("低", probs, urgency("急！")) == ("低", False)  # pressure alone, model says unlikely
    assert adjust("中", {"高": 0.4, "中": 0.45, "低": 0.15}, urgency("急！")) == ("高", True)
    assert adjust("低", probs, urgency("没什么影响")) == ("低", False)
    assert adjust("x", {"x": 0.5, "y": 0.5}, urgency("三号线停了")) == ("x", False)  # labels with no rank


def test_confidence_calibration_by_temperature() -> None:
    """Out-of-fold probabilities that are surer than the model's hit rate get a temperature above 1
    (softer), too-shy ones below 1; the predicted label never changes."""
    import numpy as np

    from assistant.learning.textclf import soften, temperature

    rng = np.random.default_rng(0)
    truth = ["a"] * 70 + ["b"] * 30
    # always 95% sure of 'a', right 70% of the time: overconfident
    sure = np.tile([0.95, 0.05], (100, 1))
    assert temperature(sure, truth, ["a", "b"]) > 1.5
    # right 95% of the time but only 60% sure: too shy
    shy_truth = ["a"] * 95 + ["b"] * 5
    shy = np.tile([0.6, 0.4], (100, 1))
    assert temperature(shy, shy_truth, ["a", "b"]) < 0.7
    p = rng.dirichlet([1, 1, 1], size=20)
    for t in (0.5, 1.0, 3.0):
        q = soften(p, t)
        assert np.allclose(q.sum(1), 1) and (q.argmax(1) == p.argmax(1)).all()


def test_a_trained_triage_model_carries_its_calibration() -> None:
    from assistant.learning.textclf import fit

    texts = [f"收货时提示超收 {i}" for i in range(12)] + [f"月结凭证过账失败 {i}" for i in range(12)]
    labels = ["采购"] * 12 + ["财务"] * 12
    model = fit(texts, labels, None, "category", None)
    assert model.meta()["temperature"] == model.temperature > 0
    probs = model.probabilities(["收货提示超收"], None)[0]
    assert max(probs, key=probs.__getitem__) == "采购" and abs(sum(probs.values()) - 1) < 1e-9
