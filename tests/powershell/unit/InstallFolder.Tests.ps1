# Unit tests: the install folder cannot be planted (Private/InstallFolder.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Get-UnsafeReason' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'Given <Case>, says "<Expected>"' -ForEach @(
        @{ Case = 'no such path'; Sddl = $null; Expected = '' }
        @{ Case = 'a folder owned by Administrators, writable by Administrators and SYSTEM only'; Sddl = 'O:BAG:SYD:(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;S-1-5-21-1-2-3-1001)'; Expected = '' }
        @{ Case = 'a folder owned by SYSTEM'; Sddl = 'O:SYG:SYD:(A;OICI;FA;;;SY)'; Expected = '' }
        @{ Case = 'a folder owned by a user'; Sddl = 'O:S-1-5-21-1-2-3-1005G:SYD:(A;OICI;FA;;;S-1-5-21-1-2-3-1005)'; Expected = 'it is owned by S-1-5-21-1-2-3-1005, not by Administrators or SYSTEM' }
        @{ Case = 'Users allowed to create folders (hex rights)'; Sddl = 'O:BAG:SYD:(A;OICI;FA;;;BA)(A;CIID;0x100004;;;BU)'; Expected = 'it lets BU write (0x100004)' }
        @{ Case = 'Everyone with generic write (letters)'; Sddl = 'O:BAG:SYD:(A;;GRGW;;;WD)'; Expected = 'it lets WD write (GRGW)' }
        @{ Case = 'a user with read and execute only'; Sddl = 'O:BAG:SYD:(A;OICI;FRFX;;;S-1-5-21-1-2-3-1005)'; Expected = '' }
    ) {
        $path = Join-Path $global:WslppSim.ProgramData 'Folder'
        if ($null -ne $Sddl) {
            New-Item -ItemType Directory -Path $path | Out-Null
            $owner = $Sddl.Substring(2, $Sddl.IndexOf('G:') - 2)
            Write-SimState 'acl.json' @{ $path = @{ owner = $owner; dacl = $Sddl.Substring($Sddl.IndexOf('D:') + 2) } }
        }
        InModuleScope WslPortProxy -Parameters @{ Path = $path; Expected = $Expected } {
            param($Path, $Expected)
            Get-UnsafeReason -Path $Path -Access | Should -BeExactly $Expected
        }
    }

    It 'without -Access, an ACL others may write is not looked at (the installer locks it next)' {
        $path = Join-Path $global:WslppSim.ProgramData 'Folder'
        New-Item -ItemType Directory -Path $path | Out-Null
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            Get-UnsafeReason -Path $Path | Should -BeExactly ''
            Get-UnsafeReason -Path $Path -Access | Should -BeExactly 'it lets BU write (0x100004)'   # the inherited ProgramData default
        }
    }

    It 'names a symbolic link and its target, and never asks for the link''s ACL' {
        $target = Join-Path $global:WslppSim.Root 'elsewhere'
        New-Item -ItemType Directory -Path $target | Out-Null
        $link = Join-Path $global:WslppSim.ProgramData 'Link'
        New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
        InModuleScope WslPortProxy -Parameters @{ Path = $link; Target = $target } {
            param($Path, $Target)
            Mock Get-Acl { }
            Get-UnsafeReason -Path $Path | Should -BeExactly "it is a SymbolicLink (to $Target)"
            Should -Invoke Get-Acl -Times 0 -Exactly
        }
    }
}

Describe 'Move-PlantedItem and Assert-InstallDirectory' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'moves a folder aside with a warning, and not under -WhatIf' {
        $path = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
        New-Item -ItemType Directory -Path $path | Out-Null
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            Move-PlantedItem -Path $Path -Reason 'a test' -WhatIf | Should -BeNullOrEmpty
            Test-Path -LiteralPath $Path | Should -BeTrue
            $aside = Move-PlantedItem -Path $Path -Reason 'a test' -WarningVariable warnings -WarningAction SilentlyContinue
            $aside | Should -Match 'WslPortProxy\.planted-\d{14}$'
            Test-Path -LiteralPath $aside | Should -BeTrue
            Test-Path -LiteralPath $Path | Should -BeFalse
            "$($warnings[0])" | Should -BeExactly "$Path was moved aside to $aside because a test; a fresh folder is used instead."
        }
    }

    It 'fails with exit code 11 when the folder is not safe after copying' {
        InModuleScope WslPortProxy {
            Mock Get-UnsafeReason { 'it lets BU write (0x100004)' } -ParameterFilter { $Access }
            $failure = { Assert-InstallDirectory -Path 'C:\ProgramData\WslPortProxy' } | Should -Throw -ErrorId 'WslPortProxy.InstallFolderUnsafe' -PassThru
            $failure.Exception.Message | Should -BeExactly 'The install folder C:\ProgramData\WslPortProxy is not safe after copying (it lets BU write (0x100004)), so the task was not registered. Check who else manages this folder, then run the installer again.'
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 11
        }
    }
}
