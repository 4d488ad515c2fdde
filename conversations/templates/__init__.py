"""MUS templates as data: YAML files validated into `Template` models."""

from conversations.templates.model import PlanField, PlanSpec, Question, Step, Template, Theme

__all__ = ["PlanField", "PlanSpec", "Question", "Step", "Template", "Theme"]
