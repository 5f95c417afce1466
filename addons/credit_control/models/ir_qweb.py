from lxml import etree

from odoo import models
from odoo.tools.lru import LRU

# key of the cursor cache (``cr.cache``) that holds the compiled mail-template bodies while a batch renders
COMPILED_QWEB_CACHE = "credit_control_compiled_qweb"


def compiled_bodies(registry):
    """The compiled mail-template bodies of ``registry`` (a bounded, thread-safe mapping; see ``IrQweb._compile``).

    Kept on the registry (a database's models in this process, replaced when its modules change) from one batch to
    the next: each batch of a run is a cron job of its own, and compiling the templates again was a twentieth of
    it."""
    bodies = getattr(registry, "_credit_compiled_bodies", None)
    if bodies is None:
        bodies = registry._credit_compiled_bodies = LRU(64)
    return bodies


class IrQweb(models.AbstractModel):
    _inherit = "ir.qweb"

    def _compile(self, template):
        """Compile a mail template's body once while a batch of follow-up emails is rendered.

        Odoo compiles the QWeb body of a mail template again for every record it renders (the body is
        an element, not a cached view): about 15 ms of Python per reminder. While
        ``credit.action._render_emails`` renders a batch it puts the registry's ``compiled_bodies`` in the
        cursor cache, and the compiled functions are kept there, keyed by the template's source and the
        context keys that the compilation depends on (as Odoo does for views, whose compiled code its
        registry caches too). Outside such a batch nothing changes.
        """
        compiled = self.env.cr.cache.get(COMPILED_QWEB_CACHE)
        if compiled is None or not isinstance(template, etree._Element):
            return super()._compile(template)
        keys = (*self._get_template_cache_keys(), "raise_on_forbidden_code_for_model")
        key = (etree.tostring(template), tuple(self.env.context.get(k) for k in keys))
        function = compiled.get(key)
        if function is None:
            function = compiled[key] = super()._compile(template)
        return function
