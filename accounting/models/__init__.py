from .clients import Client
from .costs import Expense, ExpenseAttachment, Payment
from .invoices import Invoice, InvoiceLine
from .ledger import Account, Department, VatCode
from .orders import SalesOrder, SalesOrderLine
from .parties import ContactPerson, Customer, Employee, Supplier, SupplierGroup
from .products import Product, ProductComponent, ProductGroup, Unit
from .projects import Project, ProjectActivity

__all__ = [
    "Account",
    "Client",
    "ContactPerson",
    "Customer",
    "Department",
    "Employee",
    "Expense",
    "ExpenseAttachment",
    "Invoice",
    "InvoiceLine",
    "Payment",
    "Product",
    "ProductComponent",
    "ProductGroup",
    "Project",
    "ProjectActivity",
    "SalesOrder",
    "SalesOrderLine",
    "Supplier",
    "SupplierGroup",
    "Unit",
    "VatCode",
]
