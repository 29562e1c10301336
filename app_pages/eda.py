"""Why customers leave: a six-chapter data story on the Telco churn data, every number computed live."""

from src.ui.chrome import guard, page_header
from src.ui.eda_widgets import how_it_works, render_story

page_header("eda", how_it_works())
# The story is all data, so there is no model part to point at when the data is missing.
with guard("the data story", data_tail=""):
    render_story()
