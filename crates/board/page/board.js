// placeholder: the board page (replaced by the page branch)
