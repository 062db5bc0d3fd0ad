/* Autocompletes offer only the records of the client chosen on the same form.
 *
 * Django's admin/js/autocomplete.js defines $.fn.djangoAdminSelect2 and calls it when the page
 * is ready and for each added inline row. Loaded after it, this file redefines it with the same
 * options plus `client`: the value of the form's client field (a select, or a raw id input),
 * read at the moment of each lookup, so changing the client changes what is offered. */
'use strict';
{
    const $ = django.jQuery;

    function clientOf(element) {
        const form = element.form || element.closest('form');
        const field = form && form.querySelector('[name="client"]');
        if (field && field.value) {
            return field.value;
        }
        const holder = element.closest('[data-client]');
        return holder ? holder.dataset.client : '';
    }

    $.fn.djangoAdminSelect2 = function() {
        $.each(this, function(i, element) {
            $(element).select2({
                ajax: {
                    data: (params) => {
                        return {
                            term: params.term,
                            page: params.page,
                            app_label: element.dataset.appLabel,
                            model_name: element.dataset.modelName,
                            field_name: element.dataset.fieldName,
                            client: clientOf(element)
                        };
                    }
                }
            });
        });
        return this;
    };
}
