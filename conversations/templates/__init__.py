"""MUS templates as data: YAML files validated into `Template` models."""

from conversations.templates.library import (
    TemplateError,
    TemplateLibrary,
    UnknownTemplateError,
    load_template,
    split_dir_list,
)
from conversations.templates.model import PlanField, PlanSpec, Question, Step, Template, Theme

__all__ = [
    "PlanField",
    "PlanSpec",
    "Question",
    "Step",
    "Template",
    "TemplateError",
    "TemplateLibrary",
    "Theme",
    "UnknownTemplateError",
    "load_template",
    "split_dir_list",
]
