"""keras.Model (functional graphs and subclassing) and keras.Sequential.

A functional model replays the recorded Nodes in topological order; a Sequential model
calls its layers in a loop (built as a graph as soon as the input shape is known); a
subclassed model runs the user's ``call``. All three train through ``training.Trainer``;
``summary.py`` draws their table and ``saving.py`` writes and reads their files.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..autograd import Tensor, no_grad
from .layers import deserialize as deserialize_layer, serialize as serialize_layer
from .layers.base import KerasTensor, Layer, flatten, map_structure, shape_str, unique_name
from .layers.core import InputLayer
from .saving import load_model, load_weights, save_model, save_weights
from .summary import summary_text
from .training import Trainer

__all__ = ["Model", "Sequential", "load_model", "save_model", "model_from_config", "clone_model"]


class Model(Trainer, Layer):
    """A trainable graph of layers.

    ``Model(inputs, outputs)`` over KerasTensors from ``keras.Input`` makes a functional
    model; a subclass that defines ``call`` (layers assigned as attributes are tracked) is a
    subclassed model.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        if name is None:
            base = "functional" if inputs is not None and type(self) in (Model,) else None
            name = unique_name(base) if base else None
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._init_trainer()
        self._graph_outputs: list = []
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both `inputs` and `outputs`.")
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ functional graph
    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        self._input_structure = inputs
        self._output_structure = outputs
        self._graph_inputs = flatten(inputs)
        self._graph_outputs = flatten(outputs)
        for t in self._graph_inputs + self._graph_outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError("A functional Model's inputs and outputs must be KerasTensors "
                                 f"(from keras.Input and layer calls), got {type(t).__name__}")
        nodes, seen = [], set()

        def visit(t: KerasTensor) -> None:
            layer, ni, _ = t._keras_history
            node = layer._inbound_nodes[ni]
            if id(node) in seen:
                return
            seen.add(id(node))
            for parent in node.input_tensors:
                visit(parent)
            nodes.append(node)

        for t in self._graph_outputs:
            visit(t)
        input_ids = {id(t) for t in self._graph_inputs}
        for node in nodes:
            if isinstance(node.layer, InputLayer) and id(node.outputs) not in input_ids:
                raise ValueError(f"Graph disconnected: cannot obtain the value of tensor "
                                 f"{node.outputs} (from input layer '{node.layer.name}'), which "
                                 "is not among the model's inputs.")
        self._nodes = [n for n in nodes if not isinstance(n.layer, InputLayer)]
        ordered: list[Layer] = [t._keras_history[0] for t in self._graph_inputs]
        for n in self._nodes:
            if all(n.layer is not o for o in ordered):
                ordered.append(n.layer)
        self._graph_layers = ordered
        names = [lay.name for lay in ordered]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"The name {dup[0]!r} is used 2 times in the model. All layer "
                             "names should be unique.")
        for lay in ordered:
            self._modules[lay.name] = lay
        self.output_names = [t._keras_history[0].name for t in self._graph_outputs]
        self.input_names = [t._keras_history[0].name for t in self._graph_inputs]
        self._build_input_shape = map_structure(lambda t: t.shape, inputs)
        self._output_shape = map_structure(lambda t: t.shape, outputs)
        self.built = True

    def _run_graph(self, inputs: Any, training: bool | None) -> Any:
        flat = flatten(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs]
        if len(flat) != len(self._graph_inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self._graph_inputs)} input(s), '
                             f"but it received {len(flat)} input tensors.")
        values = {id(kt): v for kt, v in zip(self._graph_inputs, flat)}
        for kt, v in zip(self._graph_inputs, flat):
            want, got = kt.shape[1:], tuple(v.shape[1:])
            if len(want) != len(got) or any(a is not None and a != b
                                            for a, b in zip(want, got)):
                raise ValueError(
                    f'Input 0 of layer "{kt._keras_history[0].name}" is incompatible with the '
                    f"layer: expected shape={kt.shape}, found shape={shape_str(tuple(v.shape))}")
        for node in self._nodes:
            args = map_structure(lambda t: values[id(t)] if isinstance(t, KerasTensor) else t,
                                 node.inputs)
            kwargs = {k: v for k, v in node.kwargs.items() if k != "_args"}
            if node.layer._call_has_training and kwargs.get("training") is None:
                kwargs["training"] = training
            out = node.layer(args, *node.kwargs.get("_args", ()), **kwargs)
            for kt, v in zip(node.output_tensors, flatten(out)):
                values[id(kt)] = v
        return map_structure(lambda t: values[id(t)], self._output_structure)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if self._graph_outputs:
            return self._run_graph(inputs, training)
        raise NotImplementedError(f"Model {self.name}: a subclassed model must define call()")

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._graph_outputs:
            return self._output_shape
        return Layer.compute_output_shape(self, input_shape)

    @property
    def inputs(self) -> list:
        return list(getattr(self, "_graph_inputs", []))

    @property
    def outputs(self) -> list:
        return list(self._graph_outputs)

    # ------------------------------------------------------------------ layers
    @property
    def layers(self) -> list[Layer]:
        if self._graph_outputs:
            return list(self._graph_layers)
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called ``name`` (or at ``index`` in ``layers``)."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[la.name for la in self.layers]}.")

    def build(self, input_shape: Any = None) -> None:
        """Build a subclassed model by calling it once on zeros of ``input_shape``."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")

        def zeros(s: Sequence[Any]) -> Tensor:
            return Tensor._wrap(np.zeros(tuple(1 if d is None else int(d) for d in s),
                                         np.float32), None, False)

        shapes = [tuple(s) for s in input_shape] if isinstance(input_shape, list) else \
            tuple(input_shape)
        x = [zeros(s) for s in shapes] if isinstance(shapes, list) else zeros(shapes)
        was = self.training
        self.eval()
        with no_grad():
            self(x)
        self.train(was)
        self._build_input_shape = shapes
        self.built = True

    def _build_from(self, shape: Any) -> None:
        # a subclassed model builds its layers lazily inside call; just remember the shape
        self._build_input_shape = shape
        if type(self).build is not Model.build and type(self).build is not Layer.build:
            self.build(shape)
        self.built = True

    # ------------------------------------------------------------------ summary
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print Keras's table: Layer (type), Output Shape, Param #, then the totals."""
        if not self.built or (not self._graph_outputs and not self._sublayers()):
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")
        text = summary_text(self, line_length)
        (print_fn or print)(text)

    # ------------------------------------------------------------------ saving
    def save(self, filepath: str, overwrite: bool = True, **kwargs: Any) -> None:
        """Save architecture, weights and compile settings to a ``.keras`` zip (no pickle)."""
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        """Save the weights (safetensors layout, in ``weights`` order)."""
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights saved by ``save_weights`` (or from a ``.keras`` file)."""
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def get_config(self) -> dict:
        if not self._graph_outputs:
            return {"name": self.name, "trainable": self.trainable}
        layer_cfgs = []
        for layer in self._graph_layers:
            layer_cfgs.append(serialize_layer(layer))
        nodes = []
        index = {}
        for layer in self._graph_layers:
            for i, node in enumerate(layer._inbound_nodes):
                for j, t in enumerate(flatten(node.outputs)):
                    index[id(t)] = [layer.name, i, j]

        def ref(t: Any) -> Any:
            return {"ref": index[id(t)]} if isinstance(t, KerasTensor) else t

        for node in self._nodes:
            kwargs = {k: v for k, v in node.kwargs.items()
                      if k != "_args" and isinstance(v, (int, float, str, bool, type(None)))}
            nodes.append({"layer": node.layer.name,
                          "node_index": node.layer._inbound_nodes.index(node),
                          "inputs": map_structure(ref, node.inputs), "kwargs": kwargs})
        return {"name": self.name, "trainable": self.trainable, "layers": layer_cfgs,
                "nodes": nodes, "input_layers": map_structure(ref, self._input_structure),
                "output_layers": map_structure(ref, self._output_structure)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        if "layers" not in config:  # a subclassed model: its __init__ may take no arguments
            try:
                return cls(**config)
            except TypeError:
                model = cls()
                model.name = config.get("name", model.name)
                return model
        layers = {c["config"]["name"]: deserialize_layer(c, custom_objects)
                  for c in config["layers"]}
        tensors: dict = {}
        for name, layer in layers.items():
            if isinstance(layer, InputLayer):
                tensors[(name, 0, 0)] = layer.output_tensor

        def get(r: Any) -> Any:
            if isinstance(r, dict) and "ref" in r:
                return tensors[tuple(r["ref"])]
            if isinstance(r, list):
                return [get(e) for e in r]
            return r

        for node in config["nodes"]:
            layer = layers[node["layer"]]
            out = layer(get(node["inputs"]), **node.get("kwargs", {}))
            for j, t in enumerate(flatten(out)):
                tensors[(node["layer"], node["node_index"], j)] = t
        return cls(inputs=get(config["input_layers"]), outputs=get(config["output_layers"]),
                   name=config["name"], trainable=config.get("trainable", True))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class Sequential(Model):
    """A plain stack of layers, each feeding the next.

    ``Sequential([Dense(1, input_shape=(1,))])`` or ``Sequential([keras.Input((1,)),
    Dense(1)])`` is built at once; without an input shape it is built by its first call.
    """

    def __init__(self, layers: Sequence[Any] | None = None, trainable: bool = True,
                 name: str | None = None) -> None:
        Model.__init__(self, name=name or unique_name("sequential"), trainable=trainable)
        self._seq_layers: list[Layer] = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or a keras.Input / InputLayer giving the input shape)."""
        if isinstance(layer, KerasTensor):
            hist = layer._keras_history
            if hist is None or not isinstance(hist[0], InputLayer):
                raise ValueError("Only the output of an InputLayer (keras.Input) can be added "
                                 f"to a Sequential model, got {layer}")
            layer = hist[0]
        if isinstance(layer, InputLayer):
            if self._seq_layers or self._input_layer is not None:
                raise ValueError("Sequential model 'add': an InputLayer can only be the first "
                                 "layer of the model")
            self._input_layer = layer
            return
        if not isinstance(layer, Layer):
            raise ValueError("Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer} (of type {type(layer).__name__})")
        if any(layer.name == la.name for la in self._seq_layers):
            raise ValueError(f"All layers added to a Sequential model should have unique "
                             f"names. Name '{layer.name}' is already the name of a layer in "
                             "this model. Update the `name` argument to pass a unique name.")
        self._seq_layers.append(layer)
        self._modules[layer.name] = layer
        self.built = False if not all(la.built for la in self._seq_layers) else self.built
        if rebuild:
            self._maybe_build_graph()

    def pop(self) -> Layer:
        if not self._seq_layers:
            raise TypeError("There are no layers in the model.")
        layer = self._seq_layers.pop()
        del self._modules[layer.name]
        self._maybe_build_graph()
        return layer

    def _input_batch_shape(self) -> tuple | None:
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._seq_layers:
            return getattr(self._seq_layers[0], "_batch_input_shape", None)
        return None

    def _maybe_build_graph(self) -> None:
        shape = self._input_batch_shape()
        if shape is None or not self._seq_layers:
            return
        self._symbolic_build(shape)

    def _symbolic_build(self, batch_shape: tuple) -> None:
        from .layers.core import Input  # noqa: PLC0415

        kt = Input(batch_shape=batch_shape) if self._input_layer is None else \
            self._input_layer.output_tensor
        for layer in self._seq_layers:
            kt = layer(kt)
        self._build_input_shape = tuple(batch_shape)
        self._output_shape = kt.shape if isinstance(kt, KerasTensor) else None
        self.built = True

    @property
    def layers(self) -> list[Layer]:
        return list(self._seq_layers)

    def build(self, input_shape: Any = None) -> None:
        """Build every layer for inputs of ``input_shape`` (batch dim included)."""
        if input_shape is None:
            input_shape = self._input_batch_shape()
        if input_shape is None:
            raise ValueError("You must provide an `input_shape` argument.")
        self._symbolic_build(tuple(input_shape))

    def _build_from(self, shape: Any) -> None:
        self._build_input_shape = shape

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        x = inputs
        for layer in self._seq_layers:
            if layer._call_has_training:
                x = layer(x, training=training)
            else:
                x = layer(x)
        if not self.built:
            self.built = True
            self._output_shape = (None,) + tuple(x.shape[1:])
        return x

    def _output_layer_name(self, i: int) -> str:
        return self._seq_layers[-1].name if self._seq_layers else self.name

    def get_config(self) -> dict:
        cfg = {"name": self.name, "trainable": self.trainable,
               "layers": [serialize_layer(la) for la in self._seq_layers]}
        shape = self._input_batch_shape() or self._build_input_shape
        if shape is not None and not isinstance(shape, list):
            cfg["build_input_shape"] = list(shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Sequential":
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for c in config["layers"]:
            model.add(deserialize_layer(c, custom_objects), rebuild=False)
        shape = config.get("build_input_shape")
        if shape is not None:
            model._symbolic_build(tuple(shape))
        return model


def model_from_config(config: dict, custom_objects: dict | None = None) -> Model:
    """Rebuild a model from ``{'class_name', 'config'}``."""
    name = config.get("class_name")
    cfg = config.get("config", {})
    if name == "Sequential":
        return Sequential.from_config(cfg, custom_objects)
    if name in ("Functional", "Model"):
        return Model.from_config(cfg, custom_objects)
    cls = (custom_objects or {}).get(name)
    if cls is None:
        raise TypeError(f"Could not locate class '{name}'. Pass it in `custom_objects` to "
                        "rebuild a subclassed model.")
    return cls.from_config(cfg)


def clone_model(model: Model) -> Model:
    """A new model of the same architecture with fresh weights."""
    cfg = {"class_name": _class_name(model), "config": model.get_config()}
    return model_from_config(cfg)


def _class_name(model: Model) -> str:
    if isinstance(model, Sequential):
        return "Sequential"
    if model._graph_outputs and type(model) is Model:
        return "Functional"
    return type(model).__name__
