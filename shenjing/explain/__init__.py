"""Seeing inside a network: summaries, the graph, the backward trace, statistics, checks."""
from .check import GradcheckReport, ParamCheck, gradcheck_model  # noqa: F401
from .graph import Graph, GraphNode, graph  # noqa: F401
from .stats import LayerStat, LayerStats, layer_stats  # noqa: F401
from .summary import LayerInfo, ModelSummary, summary  # noqa: F401
from .trace import BackwardTrace, GradFlow, Step, backward  # noqa: F401
